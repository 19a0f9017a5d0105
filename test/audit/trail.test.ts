/** The hot-path trail: group commit, fail closed, redaction on the way in, close. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditError, openAudit, AuditTrail } from '../../src/audit/index.js';
import type { AuditInput, AuditRecord, RecordBody } from '../../src/audit/record.js';
import type { AuditStore } from '../../src/audit/store.js';
import { decision } from './contract.js';

/** A store that records each append call and can be told to fail. */
class FakeStore implements AuditStore {
  readonly algorithm = 'sha256' as const;
  calls: RecordBody[][] = [];
  failWith: Error | undefined;
  closed = false;
  private seq = 1;
  async append(bodies: RecordBody[]): Promise<AuditRecord[]> {
    this.calls.push(bodies);
    await new Promise((r) => setTimeout(r, 5));
    if (this.failWith) throw this.failWith;
    return bodies.map((b) => ({ ...b, seq: ++this.seq, prev: 'p', hash: `h${this.seq}` }) as AuditRecord);
  }
  async head() { return null; }
  async read() { return []; }
  async search() { return []; }
  async *scan() {}
  async prune(): Promise<never> { throw new Error('unused'); }
  async close() { this.closed = true; }
}

const input = (n: number): Extract<AuditInput, { kind: 'decision' }> => {
  const { time: _t, instance: _i, redaction: _r, ...rest } = decision(n);
  return rest;
};

test('records of one event-loop turn are one batch; records arriving meanwhile form the next', async () => {
  const store = new FakeStore();
  const trail = new AuditTrail(store, { instance: 'i', redact: 'literals' });
  const first = Array.from({ length: 50 }, (_, i) => trail.record(input(i)));
  assert.equal(trail.queueDepth(), 50);
  await new Promise((r) => setImmediate(r));
  const second = Array.from({ length: 30 }, (_, i) => trail.record(input(100 + i)));
  const results = await Promise.all([...first, ...second]);
  assert.deepEqual(store.calls.map((c) => c.length), [50, 30]);
  assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 80 }, (_, i) => i + 2));
  assert.equal(trail.queueDepth(), 0);
  await trail.close();
  assert.equal(store.closed, true);
});

test('the trail stamps time and instance, and listeners see committed records', async () => {
  const store = new FakeStore();
  const trail = new AuditTrail(store, { instance: 'proxy-9', redact: 'literals' });
  const seen: AuditRecord[] = [];
  trail.onCommit((records) => seen.push(...records));
  trail.onCommit(() => {
    throw new Error('a broken listener does not fail the audit');
  });
  await trail.record({ kind: 'session', event: 'connect', session: 's', door: 'proxy' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.instance, 'proxy-9');
  assert.ok(!Number.isNaN(Date.parse(seen[0]!.time)));
  await trail.close();
});

test('a store that cannot write rejects every record of the batch with write-failed (fail closed)', async () => {
  const store = new FakeStore();
  store.failWith = new Error('disk full');
  const trail = new AuditTrail(store, { instance: 'i', redact: 'literals' });
  const results = await Promise.allSettled([trail.record(input(1)), trail.record(input(2))]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof AuditError && r.reason.code === 'write-failed');
  }
  store.failWith = undefined;
  assert.equal((await trail.record(input(3))).seq, 2);
  await trail.close();
  await assert.rejects(trail.record(input(4)), (err: unknown) => err instanceof AuditError && err.code === 'closed');
});

test('close waits for queued records', async () => {
  const store = new FakeStore();
  const trail = new AuditTrail(store, { instance: 'i', redact: 'literals' });
  const pending = [trail.record(input(1)), trail.record(input(2))];
  await trail.close();
  assert.deepEqual((await Promise.all(pending)).map((r) => r.seq), [2, 3]);
});

test('SQLite: a record resolves after commit and is readable at once; a held lock makes records fail closed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-trail-'));
  const path = join(dir, 'audit.db');
  const trail = await openAudit({ store: 'sqlite', path, busyTimeoutMs: 50 }, 'i');
  try {
    const { seq } = await trail.record(input(1));
    const [stored] = await trail.store.read({ from: seq, to: seq });
    assert.equal(stored?.kind, 'decision');
    const blocker = new Database(path);
    blocker.exec('begin immediate');
    await assert.rejects(trail.record(input(2)), (err: unknown) => err instanceof AuditError && err.code === 'write-failed');
    blocker.exec('rollback');
    blocker.close();
    assert.equal((await trail.record(input(3))).seq, seq + 1);
  } finally {
    await trail.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redaction happens in the trail: literals by default, parameters dropped, passwords always', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-trail-'));
  try {
    const literals = await openAudit({ store: 'sqlite', path: join(dir, 'a.db') }, 'i');
    const none = await openAudit({ store: 'sqlite', path: join(dir, 'b.db'), redact: 'none' }, 'i');
    const statement = "alter role app password 'hunter2' valid until '2030-01-01'";
    for (const trail of [literals, none]) {
      const { seq } = await trail.record({ ...input(1), statement, parameters: ['card-4111'] });
      const [r] = await trail.store.read({ from: seq, to: seq });
      assert.ok(r?.kind === 'decision');
      assert.ok(!r.statement.includes('hunter2'));
      assert.equal(r.redaction, trail === literals ? 'literals' : 'none');
      if (trail === literals) {
        assert.ok(!r.statement.includes('2030'));
        assert.equal(r.parameters, undefined);
      } else {
        assert.ok(r.statement.includes('2030-01-01'));
        assert.deepEqual(r.parameters, ['card-4111']);
      }
    }
    await literals.close();
    await none.close();
    await assert.rejects(openAudit({ store: 'sqlite', path: join(dir, 'c.db'), redact: 'some' as never }), (err: unknown) => err instanceof AuditError && err.code === 'bad-config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
