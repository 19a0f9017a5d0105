import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { acquireLock, lockPath } from '../../src/embedded/lock.js';
import { EmbeddedError } from '../../src/embedded/errors.js';
import { tempDataDir } from './support.js';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid!;
}

test('the lock records its owner and is removed on release', (t) => {
  const dataDir = tempDataDir(t);
  const lock = acquireLock(dataDir);
  assert.equal(lock.path, lockPath(dataDir));
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
  assert.equal(existsSync(lock.path), false);
  lock.release();
});

test('a live owner keeps the lock', (t) => {
  const dataDir = tempDataDir(t);
  const lock = acquireLock(dataDir);
  t.after(() => lock.release());
  assert.throws(() => acquireLock(dataDir, process.pid + 1_000_000), (error: unknown) => {
    assert.ok(error instanceof EmbeddedError);
    assert.equal(error.code, 'EMBEDDED_LOCKED');
    assert.ok(error.hint?.includes(lock.path));
    return true;
  });
});

test('a dead owner\'s lock is taken over and reported', async (t) => {
  const dataDir = tempDataDir(t);
  const pid = await deadPid();
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid, hostname: hostname(), startedAt: '' }));
  const lock = acquireLock(dataDir);
  t.after(() => lock.release());
  assert.equal(lock.replaced?.pid, pid);
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
});

test('an owner on another host counts as live', (t) => {
  const dataDir = tempDataDir(t);
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid: 1, hostname: `not-${hostname()}`, startedAt: '' }));
  assert.throws(() => acquireLock(dataDir), (error: unknown) => error instanceof EmbeddedError && error.code === 'EMBEDDED_LOCKED');
});

test('release leaves a lock that another process has since taken', async (t) => {
  const dataDir = tempDataDir(t);
  const lock = acquireLock(dataDir);
  writeFileSync(lock.path, JSON.stringify({ pid: 4242, hostname: hostname(), startedAt: '' }));
  lock.release();
  assert.equal(existsSync(lock.path), true);
});
