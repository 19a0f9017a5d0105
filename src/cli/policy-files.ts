/**
 * Reading policy and secrets files from disk for the doors (CLI, proxy, MCP): the pure loaders in
 * `src/policy` get the text; this edge finds the files, including the shipped default policy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyErrorCode, type PolicyIssue } from '../policy/errors.js';
import { loadPolicy, type LoadPolicyOptions, type LoadPolicyResult } from '../policy/load-policy.js';
import { loadSecrets, type LoadSecretsResult } from '../policy/secrets.js';

/** The package's root: the nearest folder above this module with Parapet's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'parapet') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the parapet package root');
    dir = parent;
  }
}

/** The shipped default policy, used when no policy file is given. */
export const DEFAULT_POLICY_PATH = join(packageRoot(), 'policies', 'default.yaml');

/** A file name for messages: relative to the working directory when inside it. */
export function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Reads and loads a policy file (the default policy when `path` is absent). */
export async function readPolicyFile(path: string | undefined, options: Omit<LoadPolicyOptions, 'file'> = {}): Promise<LoadPolicyResult> {
  const file = path ?? DEFAULT_POLICY_PATH;
  const name = displayName(file);
  const text = await readText(file, name);
  if (typeof text !== 'string') return { ok: false, issues: [text] };
  return loadPolicy(text, { ...options, file: name });
}

/** Reads and loads a secrets file; `env` resolves `env:VAR` references. */
export async function readSecretsFile(path: string, env: Readonly<Record<string, string | undefined>>, actors?: ReadonlyMap<string, unknown>): Promise<LoadSecretsResult> {
  const name = displayName(path);
  const text = await readText(path, name);
  if (typeof text !== 'string') return { ok: false, issues: [{ ...text, code: PolicyErrorCode.secrets }] };
  return loadSecrets(text, { file: name, env, ...(actors ? { actors } : {}) });
}

async function readText(path: string, name: string): Promise<string | PolicyIssue> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
    return { code: PolicyErrorCode.read, file: name, line: 1, column: 1, message: `cannot read \`${name}\`: ${reason}`, severity: 'error' };
  }
}
