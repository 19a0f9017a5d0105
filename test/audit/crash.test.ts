/**
 * Crash safety: a writer killed with SIGKILL mid-load loses no record whose promise resolved, and
 * the chain still verifies and continues after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainKey } from '../../src/audit/chain.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { verifyChain } from '../../src/audit/verify.js';

const fromSource = import.meta.url.endsWith('.ts');
const fixture = fileURLToPath(new URL(`./fixtures/crash-writer.${fromSource ? 'ts' : 'js'}`, import.meta.url));

test('SIGKILL mid-load: every resolved record is stored and the chain verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-crash-'));
  const path = join(dir, 'audit.db');
  try {
    const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acknowledged: number[] = [];
    let partial = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line !== 'ready') acknowledged.push(Number(line));
        if (acknowledged.length >= 5000 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    assert.equal(await exited, 'SIGKILL');
    assert.ok(acknowledged.length >= 5000);

    const reader = SqliteAuditStore.openReadOnly(path);
    const head = await reader.head();
    const missing = acknowledged.filter((seq) => seq > (head?.seq ?? 0));
    assert.deepEqual(missing, []);
    assert.equal(head?.count, head?.seq); // no holes
    const report = await verifyChain(reader, chainKey(undefined));
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    await reader.close();

    const writer = await SqliteAuditStore.open({ path, instance: 'after-crash' });
    const [next] = await writer.append([{ kind: 'session', event: 'connect', session: 'x', door: 'cli', time: new Date().toISOString(), instance: 'after-crash' }]);
    assert.equal(next?.seq, head!.seq + 1);
    assert.equal((await verifyChain(writer, chainKey(undefined))).ok, true);
    await writer.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
