/**
 * `parapet serve` as a child process, for what only a process can show: its RSS, its exit code,
 * its answers to SIGTERM and SIGHUP, and that it never crashes. Runs the compiled CLI
 * (dist/src/cli/main.js) when the tests are compiled, the TypeScript entry through tsx otherwise.
 *
 *     const proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml, secrets: { alice: 'pw' } });
 *     const { rss } = proxy.memory();
 *     proxy.kill('SIGTERM'); const { code } = await proxy.exited;
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SpawnOptions {
  upstreamUrl: string;
  policyYaml: string;
  secrets: Record<string, string>;
  /** YAML mapping text for `limits:` (indented by the caller as a flow mapping, e.g. `{ idleTimeout: 1s }`). */
  limits?: string;
  /** Serve metrics on a free port. */
  metrics?: boolean;
  /** Extra environment for the child. */
  env?: Record<string, string>;
}

export interface ChildProxy {
  pid: number;
  port: number;
  /** The metrics port, when asked for. */
  metricsPort?: number;
  dir: string;
  policyFile: string;
  auditPath: string;
  /** stderr lines so far (the proxy's log; the last 10,000). */
  log: string[];
  url(actor: string, password: string, database: string): string;
  /** Resident set size now and its peak (VmHWM), in bytes, from /proc. */
  memory(): { rss: number; peak: number };
  /** Settles when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** Kills it (if still running) and removes its files. */
  stop(): Promise<void>;
}

/** Log lines kept (the oldest go first): a long fuzz run must not grow the test's own memory. */
const MAX_LOG_LINES = 10_000;

const here = dirname(fileURLToPath(import.meta.url));
const compiled = import.meta.url.endsWith('.js');
/** The repository root: two folders up from test/faults (three from dist/test/faults). */
export const repoRoot = compiled ? join(here, '..', '..', '..') : join(here, '..', '..');

function command(): { bin: string; args: string[] } {
  if (compiled) return { bin: process.execPath, args: [join(repoRoot, 'dist', 'src', 'cli', 'main.js')] };
  return { bin: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')] };
}

export async function spawnProxy(options: SpawnOptions): Promise<ChildProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-child-'));
  const policyFile = join(dir, 'policy.yaml');
  const auditPath = join(dir, 'audit.db');
  writeFileSync(policyFile, options.policyYaml);
  const secrets = Object.entries(options.secrets).map(([actor, password]) => `  ${JSON.stringify(actor)}: { plaintext: ${JSON.stringify(password)} }`);
  writeFileSync(join(dir, 'secrets.yaml'), `actors:\n${secrets.join('\n')}\n`);
  const config = [
    'listen: 127.0.0.1:0',
    `upstream: { url: ${JSON.stringify(options.upstreamUrl)}, connectTimeout: 5s }`,
    'policy: policy.yaml',
    'secrets: secrets.yaml',
    'audit: { path: audit.db }',
    ...(options.limits ? [`limits: ${options.limits}`] : []),
    ...(options.metrics ? ['metrics: { listen: 127.0.0.1:0 }'] : []),
  ];
  writeFileSync(join(dir, 'parapet.yaml'), `${config.join('\n')}\n`);
  const { bin, args } = command();
  const child: ChildProcess = spawn(bin, [...args, 'serve', '--config', join(dir, 'parapet.yaml')], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<{ port: number; metricsPort?: number }>((resolve, reject) => {
    let metricsPort: number | undefined;
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const lines = stderr.split('\n');
      stderr = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        if (log.length > MAX_LOG_LINES) log.splice(0, log.length - MAX_LOG_LINES);
        const metrics = /metrics on http:\/\/[^:]+:(\d+)\//.exec(line);
        if (metrics) metricsPort = Number(metrics[1]);
      }
    });
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /ready — postgres:\/\/[^@]*@[^:]+:(\d+)\//.exec(stdout);
      if (match) resolve({ port: Number(match[1]), ...(metricsPort !== undefined ? { metricsPort } : {}) });
    });
    void exited.then(({ code, signal }) => reject(new Error(`parapet serve exited (${code ?? signal}) before it was ready:\n${[...log, stderr].join('\n')}`)));
  });
  let started: { port: number; metricsPort?: number };
  try {
    started = await ready;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const pid = child.pid!;
  return {
    pid,
    ...started,
    dir,
    policyFile,
    auditPath,
    log,
    url: (actor, password, database) => `postgres://${encodeURIComponent(actor)}:${encodeURIComponent(password)}@127.0.0.1:${started.port}/${encodeURIComponent(database)}`,
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    exited,
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One value from the child's /metrics (the sum over its labels); the child must run with `metrics: true`. */
export async function scrape(proxy: ChildProxy, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
