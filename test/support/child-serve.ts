/**
 * The `parapet` CLI as a child process, on a configuration file the caller wrote: for tests that
 * restart `parapet serve` on the same files (the audit trail across a SIGKILL) and then run
 * `parapet audit …` on them. Runs the compiled CLI (dist/src/cli/main.js) when the tests are
 * compiled, the TypeScript entry through tsx otherwise.
 *
 *     const proxy = await spawnServe({ configFile });
 *     proxy.kill('SIGKILL'); await proxy.exited;
 *     const { code } = await runParapet(['audit', 'verify', '--audit', auditPath]);
 */
import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServeChild {
  pid: number;
  /** The port `parapet serve` listens on (from its ready line). */
  port: number;
  /** stderr lines so far (the proxy's log). */
  log: string[];
  /** Settles when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const compiled = import.meta.url.endsWith('.js');
/** The repository root: two folders up from test/support (three from dist/test/support). */
const repoRoot = compiled ? join(here, '..', '..', '..') : join(here, '..', '..');

function parapetCommand(args: string[]): { bin: string; args: string[] } {
  const entry = compiled ? [join(repoRoot, 'dist', 'src', 'cli', 'main.js')] : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
  return { bin: process.execPath, args: [...entry, ...args] };
}

/** Starts `parapet serve --config FILE` and resolves once it prints its ready line. */
export async function spawnServe(options: { configFile: string; env?: Record<string, string> }): Promise<ServeChild> {
  const { bin, args } = parapetCommand(['serve', '--config', options.configFile]);
  const child = spawn(bin, args, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    log.push(...lines);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /ready — postgres:\/\/[^@]*@[^:]+:(\d+)\//.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(({ code, signal }) => reject(new Error(`parapet serve exited (${code ?? signal}) before it was ready:\n${[...log, partial].join('\n')}`)));
  });
  return { pid: child.pid!, port, log, exited, kill: (signal) => void child.kill(signal) };
}

/** Runs `parapet ARGS…` to completion; resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runParapet(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { bin, args: full } = parapetCommand(args);
  return new Promise((resolve, reject) => {
    execFile(bin, full, { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env }, maxBuffer: 512 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
