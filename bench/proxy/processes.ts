/** Child processes for the proxy benchmark: one-shot commands and long-running services. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, collecting its output. Never rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the command's stderr. */
export async function mustRun(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCommand(command, args, env);
  if (result.code !== 0) throw new Error(`\`${command} ${args.join(' ')}\` failed (exit ${result.code}):\n${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or rejects after `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = exited();
    if (failure !== undefined) throw new Error(failure);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A long-running child (PgBouncer, Parapet) whose output is kept for error messages. */
export class Service {
  readonly child: ChildProcess;
  output = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #closed: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.#closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve();
      });
      this.child.once('error', (error) => {
        this.output += `\n${error.message}`;
        this.#exit = { code: -1, signal: null };
        resolve();
      });
    });
  }

  /** A message when the process has ended, else undefined. */
  exited(): string | undefined {
    if (!this.#exit) return undefined;
    return `${this.name} exited (${this.#exit.signal ?? `code ${this.#exit.code}`}):\n${this.output.trim().slice(-3000)}`;
  }

  /** Resolves when `pattern` shows in the output. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      const failure = this.exited();
      if (failure !== undefined) throw new Error(failure);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output.trim().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.#exit) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.#closed;
    clearTimeout(timer);
  }
}

/** CPU time a process has used so far (user + system, seconds): all its threads, and its main thread. */
export interface CpuTime {
  total: number;
  main: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ: the unit of /proc/…/stat times on Linux

function statTicks(file: string): number {
  // Fields after the parenthesised command name: state is the 3rd field, utime the 14th, stime the 15th.
  const text = readFileSync(file, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of `pid` from /proc; undefined where /proc is not available. */
export function cpuTime(pid: number | undefined): CpuTime | undefined {
  if (pid === undefined) return undefined;
  try {
    // The process's own line counts every thread, those that have ended too.
    return { total: statTicks(`/proc/${pid}/stat`) / TICKS_PER_SECOND, main: statTicks(`/proc/${pid}/task/${pid}/stat`) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU time of `pid`'s main thread so far, in ms with ns resolution (/proc schedstat); undefined where unavailable. */
export function mainThreadCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}
