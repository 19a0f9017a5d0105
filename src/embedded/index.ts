/**
 * The embedded default: a PGlite database with the sample data, served in a child process on
 * 127.0.0.1. `parapet serve` starts it when no upstream is configured and proxies to it.
 *
 * PGlite has ONE backend session for all connections: settings, prepared statements, temporary
 * tables and the current role are shared by whoever is connected. The proxy must therefore serve
 * one client session at a time (`maxSessions: 1`) and reset the session between clients with
 * `DISCARD ALL`. An open transaction is rolled back when its socket closes.
 *
 * PGlite ignores the user in the startup message: every connection starts as the superuser
 * `postgres`. `roles` names non-superuser roles to switch to with `SET SESSION AUTHORIZATION`,
 * which works at any time; but in PGlite neither `DISCARD ALL` nor `RESET SESSION AUTHORIZATION`
 * switches back, so a door must set the role explicitly at the start of every session.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EmbeddedError, fromErrorData } from './errors.js';
import type { ChildConfig, ChildMessage, ParentMessage, SeedSource } from './ipc.js';
import { SAMPLE_ROLES } from './sample/sample-schema.js';

export { EmbeddedError, type EmbeddedErrorCode } from './errors.js';
export type { SeedSource } from './ipc.js';

/** Where the data directory lives when none is given, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.parapet/embedded/pgdata';

export interface StartEmbeddedOptions {
  /** The data directory; created from the shipped sample data on first start, reused afterwards. */
  dataDir?: string;
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Receives start-up progress and the database process's own output, one line at a time. */
  log?: (line: string) => void;
  /** Give up on start-up after this long (first start from SQL can take ~20 s on a slow machine). */
  startTimeoutMs?: number;
  /** Directory holding the pre-seeded asset and its manifest; defaults to the package's `assets/embedded`. */
  assetDir?: string;
}

export interface EmbeddedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running embedded database. */
export interface EmbeddedDatabase {
  host: string;
  port: number;
  /** The only user PGlite has (it ignores the startup user): a superuser. */
  user: string;
  database: string;
  /** `postgres://user@host:port/database`; no password is needed. */
  url: string;
  /** Client sessions that may be open at once: PGlite has one backend session for everyone. */
  maxSessions: 1;
  /** Non-superuser roles in the sample database, for `SET SESSION AUTHORIZATION`. */
  roles: typeof SAMPLE_ROLES;
  /** Absolute path of the data directory. */
  dataDir: string;
  /** How the data directory came to be on this start. */
  source: SeedSource;
  /** Pid of the database process. */
  pid: number;
  /** Settles when the database process exits, whether through `stop()` or not. */
  exited: Promise<EmbeddedExit>;
  /** Stops the database process cleanly (it closes PGlite and releases the lock). */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const USER = 'postgres';
const DATABASE = 'postgres';
/**
 * Socket connections accepted at once. Sessions are one at a time, but a proxy reconnecting while
 * the old socket's close is still being handled, or sending a CancelRequest on a new socket, must
 * not be refused (pglite-socket refuses with a line of plain text, not a protocol error).
 */
const SOCKET_CONNECTIONS = 4;
const STOP_TIMEOUT_MS = 15_000;

export async function startEmbedded(opts: StartEmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => {});
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dirname(dataDir), { recursive: true });
  const config: ChildConfig = {
    dataDir,
    host: HOST,
    port: opts.port ?? 0,
    connections: SOCKET_CONNECTIONS,
    assetDir: opts.assetDir === undefined ? undefined : resolve(opts.assetDir),
  };
  const started = Date.now();
  log(`starting the embedded database (PGlite) in \`${dataDir}\``);
  const child = forkServerProcess(config);
  forwardOutput(child, log);
  const exited = new Promise<EmbeddedExit>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );

  const ready = await waitForReady(child, exited, log, opts.startTimeoutMs ?? 120_000);
  log(`embedded database ready on ${ready.host}:${ready.port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // A forgotten stop() must not keep the parent alive; the child stops itself when the parent exits.
  child.unref();
  child.channel?.unref();

  return {
    host: ready.host,
    port: ready.port,
    user: USER,
    database: DATABASE,
    url: `postgres://${USER}@${ready.host}:${ready.port}/${DATABASE}`,
    maxSessions: 1,
    roles: SAMPLE_ROLES,
    dataDir,
    source: ready.source,
    pid: child.pid!,
    exited,
    stop: () => stopChild(child, exited),
  };
}

function forkServerProcess(config: ChildConfig): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const entry = resolve(dirname(self), `server-process.${fromSource ? 'ts' : 'js'}`);
  // Run from source (tests, tsx): the child needs tsx's loader too. Otherwise inherit no flags,
  // so an --inspect or --test of the parent does not leak into the database process.
  const execArgv = fromSource ? ['--import', import.meta.resolve('tsx')] : [];
  return fork(entry, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
}

function forwardOutput(child: ChildProcess, log: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => log(`pglite: ${line}`));
    // Keep reading even after unref(); the pipes must not hold the parent open.
    (stream as unknown as { unref?: () => void }).unref?.();
  }
}

function waitForReady(
  child: ChildProcess,
  exited: Promise<EmbeddedExit>,
  log: (line: string) => void,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: 'ready' }>> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EmbeddedError('EMBEDDED_START_FAILED', `the embedded database did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    let failure: EmbeddedError | undefined;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'log') log(message.line);
      else if (message.type === 'failed') failure = fromErrorData(message.error);
      else if (message.type === 'ready') {
        clearTimeout(timer);
        resolveReady(message);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        failure ??
          new EmbeddedError(
            'EMBEDDED_PROCESS_EXITED',
            `the embedded database process exited before it was ready (${signal ?? `exit code ${code}`})`,
            'run again with logging on to see its output',
          ),
      );
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<EmbeddedExit>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Hold the parent open until the child is gone (see the unref() above).
  child.ref();
  child.channel?.ref();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
  else child.kill('SIGTERM');
  await exited;
  clearTimeout(timer);
}
