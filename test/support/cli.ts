/**
 * Runs the `parapet` CLI as a child process: the compiled entry when the tests run from dist/, the
 * TypeScript entry through tsx otherwise.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(join('dist', 'test'));
export const repoRoot = compiled ? join(here, '..', '..', '..') : join(here, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const entry = compiled ? [join(repoRoot, 'dist', 'src', 'cli', 'main.js')] : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
  const result = spawnSync(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    input: options.input ?? '',
    env: options.env ?? process.env,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
