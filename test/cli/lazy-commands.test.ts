/**
 * `parapet serve` loads neither the MCP SDK (only the `mcp` command's action loads it) nor
 * node-postgres (only the PostgreSQL audit store does): each costs the proxy several MiB of RSS. A
 * resolve hook makes them unloadable in a child process, so any import of them, static or dynamic,
 * fails that process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../faults/child-proxy.js';

const BLOCKED = 'a blocked package was loaded';
const hooks = `export async function resolve(specifier, context, next) { if (specifier.startsWith('@modelcontextprotocol/') || specifier === 'pg') throw new Error(${JSON.stringify(BLOCKED)}); return next(specifier, context); }`;
const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;

function parapet(...args: string[]): { status: number | null; stderr: string } {
  const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, main, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: run.status, stderr: run.stderr };
}

test('serve loads every module it needs without the MCP SDK or node-postgres', () => {
  const run = parapet('serve', '--config', join(repoRoot, 'no-such-parapet.yaml'));
  assert.ok(!run.stderr.includes(BLOCKED), run.stderr);
  assert.equal(run.status, 2, run.stderr); // the missing configuration file, reported after every import ran
});

test('the mcp command loads it (so the hook does block it)', () => {
  const run = parapet('mcp', '--max-rows', '0');
  assert.ok(run.stderr.includes(BLOCKED), run.stderr);
});
