/**
 * The contract every audit store passes (run by sqlite.test.ts and postgres.test.ts): chaining,
 * reads, search, verification, the tamper matrix, HMAC keys and retention.
 *
 * A store-specific harness opens stores on one fresh location and tampers with rows directly —
 * the way an attacker with write access to the database would.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chainKey } from '../../src/audit/chain.js';
import { verifyChain } from '../../src/audit/verify.js';
import { takeCheckpoint } from '../../src/audit/checkpoint.js';
import { AuditError } from '../../src/audit/errors.js';
import { recordAction, recordActor, recordSession, recordTables, type AuditRecord, type DecisionBody, type RecordBody } from '../../src/audit/record.js';
import type { AuditStore } from '../../src/audit/store.js';

/** Raw row surgery, as an attacker with write access to the store would do it. */
export interface Tamper {
  /** Replaces the stored body text of a record. */
  setBody(seq: number, body: string): Promise<void>;
  /** Replaces an indexed column (actor, session, action, kind, time). */
  setColumn(seq: number, column: 'actor' | 'session' | 'action' | 'kind' | 'time', value: string): Promise<void>;
  /** Replaces the stored hash of a record. */
  setHash(seq: number, hash: string): Promise<void>;
  /** Deletes records (and their table index rows). */
  remove(seqs: number[]): Promise<void>;
  /** Adds `delta` to the seq of every record from `from` on (and their table index rows). */
  shift(from: number, delta: number): Promise<void>;
  /** Swaps the positions of two records. */
  swap(a: number, b: number): Promise<void>;
  /** Inserts a raw row, with its table index rows when `tables` is given. */
  insert(row: { seq: number; prev: string; hash: string; time: string; kind: string; body: string; actor?: string | null; session?: string | null; action?: string | null }, tables?: string[]): Promise<void>;
}

export interface StoreLocation {
  /** Opens the store for writing (several may be open on one location at once). */
  open(options?: { hmacKey?: string; instance?: string }): Promise<AuditStore>;
  tamper: Tamper;
  /** Removes the location (file, database). */
  destroy(): Promise<void>;
}

export interface Harness {
  /** A fresh, empty location; undefined when the backend is unavailable (test skipped). */
  location(): Promise<StoreLocation | undefined>;
}

// Records are stamped after the genesis record (which carries the real time of opening), so that
// retention by date has something older to remove.
const T0 = Math.ceil((Date.now() + 86_400_000) / 60_000) * 60_000;
export const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

export function decision(n: number, over: Partial<DecisionBody> = {}): DecisionBody {
  return {
    kind: 'decision',
    time: at(n),
    instance: 'test',
    session: `s${n % 3}`,
    door: 'proxy',
    actor: { name: n % 2 ? 'alice' : 'agent-7', kind: n % 2 ? 'human' : 'agent', groups: ['staff'] },
    clientAddress: '10.0.0.1',
    applicationName: 'psql',
    database: 'shop',
    statementIndex: 0,
    statement: `delete from public.orders where id = $1`,
    redaction: 'literals',
    fingerprint: `fp${n}`,
    statementKind: 'delete',
    readOnly: false,
    action: n % 4 === 0 ? 'deny' : 'allow',
    rules: n % 4 === 0 ? ['no-bulk-delete', 'protect-orders'] : [],
    message: n % 4 === 0 ? 'bulk delete on `orders`' : 'allowed',
    tags: { reason: `ticket-${n}` },
    read: ['customers'],
    written: [{ table: 'public.orders', operation: 'delete' }],
    ...over,
  };
}

function outcome(n: number, decisionSeq: number): RecordBody {
  return { kind: 'outcome', time: at(n), instance: 'test', session: `s${n % 3}`, decision: decisionSeq, commandTag: 'DELETE 1', rows: 1, durationMs: 1.5 };
}

/** Fills a store with `n` decision records at minutes 1..n (after the genesis). */
async function fill(store: AuditStore, n: number): Promise<AuditRecord[]> {
  return store.append(Array.from({ length: n }, (_, i) => decision(i + 1)));
}

const KEY = chainKey(undefined);

export function auditStoreContract(name: string, harness: Harness): void {
  describe(`audit store contract: ${name}`, () => {
    let loc: StoreLocation | undefined;
    let store: AuditStore;
    const stores: AuditStore[] = [];

    const fresh = async (t: { skip(msg?: string): void }, options?: { hmacKey?: string }): Promise<boolean> => {
      loc = await harness.location();
      if (!loc) {
        t.skip(`${name} is unavailable`);
        return false;
      }
      store = await loc.open(options);
      stores.push(store);
      return true;
    };
    const cleanup = async (): Promise<void> => {
      for (const s of stores.splice(0)) await s.close().catch(() => {});
      await loc?.destroy();
      loc = undefined;
    };

    describe('writing and reading', () => {
      after(cleanup);

      test('a new store starts with a genesis record at seq 1', async (t) => {
        if (!(await fresh(t))) return;
        const head = await store.head();
        assert.equal(head?.seq, 1);
        assert.equal(head?.count, 1);
        const [genesis] = await store.read();
        assert.equal(genesis?.kind, 'genesis');
        assert.equal(genesis?.prev, '0'.repeat(64));
        assert.equal(store.algorithm, 'sha256');
      });

      test('append seals a batch in order, each record linking to the one before', async (t) => {
        if (!loc) return t.skip();
        const records = await fill(store, 5);
        assert.deepEqual(records.map((r) => r.seq), [2, 3, 4, 5, 6]);
        const [genesis] = await store.read({ to: 1 });
        assert.equal(records[0]!.prev, genesis!.hash);
        for (let i = 1; i < records.length; i++) assert.equal(records[i]!.prev, records[i - 1]!.hash);
        assert.deepEqual(await store.read({ from: 2 }), records);
      });

      test('outcomes are records of their own, and reads page in both orders', async (t) => {
        if (!loc) return t.skip();
        const [o] = await store.append([outcome(10, 2)]);
        assert.equal(o?.seq, 7);
        const newest = await store.read({ order: 'desc', limit: 2 });
        assert.deepEqual(newest.map((r) => r.seq), [7, 6]);
        const [decisionTwo] = await store.read({ from: 2, to: 2 });
        assert.equal(decisionTwo?.kind, 'decision');
        const head = await store.head();
        assert.deepEqual([head?.seq, head?.hash, head?.first, head?.count], [7, o?.hash, 1, 7]);
      });

      test('an empty append writes nothing', async (t) => {
        if (!loc) return t.skip();
        assert.deepEqual(await store.append([]), []);
        assert.equal((await store.head())?.seq, 7);
      });

      test('two writers on one store form ONE serial chain', async (t) => {
        if (!loc) return t.skip();
        const second = await loc.open({ instance: 'second' });
        stores.push(second);
        const batches = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? store : second).append([decision(100 + i), decision(200 + i)])),
        );
        const seqs = batches.flat().map((r) => r.seq).sort((a, b) => a - b);
        assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => 8 + i));
        const report = await verifyChain(store, KEY);
        assert.equal(report.ok, true, JSON.stringify(report.failure));
        assert.equal(report.checked, 27);
      });
    });

    describe('search', () => {
      after(cleanup);
      let written: AuditRecord[] = [];

      test('setup', async (t) => {
        if (!(await fresh(t))) return;
        written = await fill(store, 12);
        await store.append([decision(13, { read: ['sales.orders'], written: [], actor: { name: 'bob', kind: 'pipeline', groups: [] }, action: 'allow', rules: [] })]);
        await store.append([{ kind: 'session', event: 'connect', time: at(14), instance: 'test', session: 's9', door: 'proxy', actor: { name: 'bob', kind: 'pipeline', groups: [] } }]);
      });

      test('by actor, decision and rule', async (t) => {
        if (!loc) return t.skip();
        const alice = await store.search({ actor: 'alice' });
        assert.ok(alice.length > 0 && alice.every((r) => r.kind === 'decision' && r.actor.name === 'alice'));
        const bob = await store.search({ actor: 'bob' });
        assert.deepEqual(bob.map((r) => r.kind), ['decision', 'session']);
        const denied = await store.search({ decision: 'deny' });
        assert.deepEqual(denied.map((r) => r.seq), written.filter((r) => r.kind === 'decision' && r.action === 'deny').map((r) => r.seq));
        const byRule = await store.search({ rule: 'protect-orders' });
        assert.deepEqual(byRule.map((r) => r.seq), denied.map((r) => r.seq));
        assert.deepEqual(await store.search({ rule: 'protect' }), []);
      });

      test('by table: a bare name matches every schema, a qualified one itself and the unqualified name', async (t) => {
        if (!loc) return t.skip();
        assert.equal((await store.search({ table: 'orders' })).length, 13);
        assert.equal((await store.search({ table: 'public.orders' })).length, 12);
        assert.equal((await store.search({ table: 'sales.orders' })).length, 1);
        assert.equal((await store.search({ table: 'customers' })).length, 12);
        assert.equal((await store.search({ table: 'public.customers' })).length, 12);
        assert.equal((await store.search({ table: 'other.customers' })).length, 12);
        assert.deepEqual(await store.search({ table: 'nothing' }), []);
      });

      test('by time range, text, kind, session, after, with order and limit', async (t) => {
        if (!loc) return t.skip();
        const window = await store.search({ since: at(3), until: at(6) });
        assert.deepEqual(window.map((r) => r.time), [at(3), at(4), at(5)]);
        const text = await store.search({ text: 'ticket-7' });
        assert.deepEqual(text.map((r) => r.seq), [written[6]!.seq]);
        assert.deepEqual((await store.search({ kind: 'session' })).map((r) => r.kind), ['session']);
        const s9 = await store.search({ session: 's9' });
        assert.equal(s9.length, 1);
        const latest = await store.search({ order: 'desc', limit: 3 });
        assert.deepEqual(latest.map((r) => r.seq), [15, 14, 13]);
        assert.deepEqual((await store.search({ after: 13 })).map((r) => r.seq), [14, 15]);
        const combined = await store.search({ actor: 'alice', decision: 'allow', table: 'orders', since: at(2) });
        assert.ok(combined.length > 0 && combined.every((r) => r.kind === 'decision' && r.actor.name === 'alice' && r.action === 'allow'));
      });
    });

    describe('verification and the tamper matrix', () => {
      after(cleanup);

      const tampered = async (
        t: { skip(msg?: string): void },
        damage: (tamper: Tamper, records: AuditRecord[]) => Promise<void>,
      ): Promise<Awaited<ReturnType<typeof verifyChain>> | undefined> => {
        await cleanup();
        if (!(await fresh(t))) return undefined;
        const records = await fill(store, 10); // seq 2..11
        const clean = await verifyChain(store, KEY);
        assert.equal(clean.ok, true, JSON.stringify(clean.failure));
        await damage(loc!.tamper, records);
        return verifyChain(store, KEY);
      };

      test('a clean chain verifies, whole and by range', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 10);
        const whole = await verifyChain(store, KEY);
        assert.deepEqual([whole.ok, whole.checked, whole.from, whole.to], [true, 11, 1, 11]);
        const part = await verifyChain(store, KEY, { from: 4, to: 8 });
        assert.deepEqual([part.ok, part.checked, part.from, part.to], [true, 5, 4, 8]);
      });

      test('edit: a changed body is named', async (t) => {
        const report = await tampered(t, async (tamper, records) => {
          const body = JSON.parse(JSON.stringify(records[4]!)) as Record<string, unknown>;
          delete body.seq, delete body.prev, delete body.hash;
          body.message = 'nothing happened';
          await tamper.setBody(6, JSON.stringify(body));
        });
        if (!report) return;
        assert.deepEqual([report.ok, report.failure?.seq, report.failure?.problem], [false, 6, 'edited']);
      });

      test('edit: a changed indexed column is named', async (t) => {
        const report = await tampered(t, (tamper) => tamper.setColumn(5, 'actor', 'mallory'));
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [5, 'edited']);
      });

      test('edit and re-hash: the successor names the edited record', async (t) => {
        const report = await tampered(t, async (tamper, records) => {
          const r = records[2]!; // seq 4
          const { seq, prev, hash: _hash, ...body } = r;
          const text = JSON.stringify({ ...body, statement: 'select 1' });
          await tamper.setBody(seq, text);
          const { hashEncoded } = await import('../../src/audit/chain.js');
          const { canonicalText } = await import('../../src/audit/canonical.js');
          await tamper.setHash(seq, hashEncoded(KEY, seq, prev, canonicalText(text)));
        });
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [4, 'edited']);
      });

      test('delete: a gap is named', async (t) => {
        const report = await tampered(t, (tamper) => tamper.remove([7, 8]));
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [7, 'deleted']);
      });

      test('delete and renumber: named as deleted', async (t) => {
        const report = await tampered(t, async (tamper) => {
          await tamper.remove([7]);
          await tamper.shift(8, -1);
        });
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [7, 'deleted']);
      });

      test('delete the first records: named as deleted', async (t) => {
        const report = await tampered(t, (tamper) => tamper.remove([1, 2]));
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [3, 'deleted']);
      });

      test('insert a forged record and renumber: the forgery is named', async (t) => {
        const report = await tampered(t, async (tamper, records) => {
          await tamper.shift(6, 1);
          const forged = JSON.stringify(decision(99));
          await tamper.insert({ seq: 6, prev: records[3]!.hash, hash: 'f'.repeat(64), time: at(99), kind: 'decision', body: forged });
        });
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [6, 'inserted']);
      });

      test('insert a well-formed forged record (hash computed) and renumber: still named', async (t) => {
        const report = await tampered(t, async (tamper, records) => {
          await tamper.shift(6, 1);
          const { canonicalJson } = await import('../../src/audit/canonical.js');
          const { hashEncoded } = await import('../../src/audit/chain.js');
          const body = decision(99);
          const forged = canonicalJson(body);
          const prev = records[3]!.hash; // seq 5
          const columns = { actor: recordActor(body) ?? null, session: recordSession(body) ?? null, action: recordAction(body) ?? null };
          await tamper.insert({ seq: 6, prev, hash: hashEncoded(KEY, 6, prev, forged), time: at(99), kind: 'decision', body: forged, ...columns }, recordTables(body));
        });
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [6, 'inserted']);
      });

      test('reorder: swapped records are named', async (t) => {
        const report = await tampered(t, (tamper) => tamper.swap(5, 6));
        if (!report) return;
        assert.deepEqual([report.failure?.seq, report.failure?.problem], [5, 'reordered']);
      });

      test('truncate the tail: caught against a checkpoint, invisible without one', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 10);
        const checkpoint = await takeCheckpoint(store);
        assert.deepEqual([checkpoint.seq, checkpoint.count], [11, 11]);
        await loc!.tamper.remove([10, 11]);
        assert.equal((await verifyChain(store, KEY)).ok, true);
        const report = await verifyChain(store, KEY, { checkpoint });
        assert.deepEqual([report.ok, report.failure?.seq, report.failure?.problem], [false, 10, 'truncated']);
      });

      test('a whole chain rewritten from a point: caught against a checkpoint', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 5);
        const checkpoint = await takeCheckpoint(store);
        const { canonicalText } = await import('../../src/audit/canonical.js');
        const { hashEncoded } = await import('../../src/audit/chain.js');
        // The attacker edits record 3 and re-hashes everything after it.
        let prev = (await store.read({ from: 2, to: 2 }))[0]!.hash;
        for (const r of await store.read({ from: 3 })) {
          const { seq, prev: _p, hash: _h, ...body } = r;
          const text = JSON.stringify(seq === 3 ? { ...body, message: 'nothing to see' } : body);
          const hash = hashEncoded(KEY, seq, prev, canonicalText(text));
          await loc!.tamper.remove([seq]);
          const columns = { actor: recordActor(r) ?? null, session: recordSession(r) ?? null, action: recordAction(r) ?? null };
          await loc!.tamper.insert({ seq, prev, hash, time: r.time, kind: r.kind, body: text, ...columns }, recordTables(r));
          prev = hash;
        }
        // Without a key a consistent rewrite verifies on its own; the checkpoint kept elsewhere catches it.
        assert.equal((await verifyChain(store, KEY)).ok, true);
        const report = await verifyChain(store, KEY, { checkpoint });
        assert.deepEqual([report.ok, report.failure?.seq, report.failure?.problem], [false, 6, 'edited']);
      });
    });

    describe('keys', () => {
      after(cleanup);

      test('a keyed chain verifies only with its key, and the store refuses another key', async (t) => {
        await cleanup();
        if (!(await fresh(t, { hmacKey: 'k1' }))) return;
        assert.equal(store.algorithm, 'hmac-sha256');
        await fill(store, 3);
        assert.equal((await verifyChain(store, chainKey('k1'))).ok, true);
        const wrong = await verifyChain(store, chainKey('k2'));
        assert.deepEqual([wrong.ok, wrong.failure?.seq, wrong.failure?.problem], [false, 1, 'edited']);
        assert.ok(wrong.failure?.hint);
        await assert.rejects(loc!.open({ hmacKey: 'k2' }), (err: unknown) => err instanceof AuditError && err.code === 'open-failed');
        await assert.rejects(loc!.open({}), (err: unknown) => err instanceof AuditError && err.code === 'open-failed');
      });
    });

    describe('retention', () => {
      after(cleanup);

      test('prune removes old records behind a vouched genesis; the rest still verifies', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 10); // minutes 1..10 at seq 2..11
        const result = await store.prune(at(6), { time: at(20), instance: 'test' });
        // seq 2..6 hold minutes 1..5; seq 6 (minute 5) becomes the stand-in, 1..5 go.
        assert.deepEqual([result.genesis, result.removed], [6, 6]);
        assert.equal(result.checkpoint.kind, 'checkpoint');
        const head = await store.head();
        assert.deepEqual([head?.first, head?.seq, head?.count], [6, 12, 7]);
        const [first] = await store.read({ to: 6 });
        assert.deepEqual([first?.kind, first?.kind === 'genesis' && first.reason], ['genesis', 'pruned']);
        const report = await verifyChain(store, KEY);
        assert.equal(report.ok, true, JSON.stringify(report.failure));
        assert.equal(report.checked, 7);
        assert.equal((await store.search({ table: 'orders' })).length, 5);
        await assert.rejects(store.prune(at(6), { time: at(21), instance: 'test' }), (err: unknown) => err instanceof AuditError && err.code === 'prune-refused');
        // A checkpoint from before retention still catches truncation and notes it cannot check the pruned record.
        const appended = await store.append([decision(30)]);
        assert.equal(appended[0]?.seq, 13);
        const again = await store.prune(at(8), { time: at(31), instance: 'test' });
        assert.equal(again.genesis, 8);
        assert.equal((await verifyChain(store, KEY)).ok, true);
      });

      test('a stand-in whose hash was changed, or whose prune checkpoint is gone, fails', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 10);
        const checkpoint = await takeCheckpoint(store);
        const result = await store.prune(at(6), { time: at(20), instance: 'test' });
        const after = await verifyChain(store, KEY, { checkpoint });
        assert.equal(after.ok, true);
        await loc!.tamper.setHash(result.genesis, 'a'.repeat(64));
        const edited = await verifyChain(store, KEY);
        assert.deepEqual([edited.ok, edited.failure?.seq, edited.failure?.problem], [false, result.genesis, 'edited']);
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 10);
        const pruned = await store.prune(at(6), { time: at(20), instance: 'test' });
        await loc!.tamper.remove([pruned.checkpoint.seq]);
        const unvouched = await verifyChain(store, KEY);
        assert.deepEqual([unvouched.ok, unvouched.failure?.seq, unvouched.failure?.problem], [false, pruned.genesis, 'deleted']);
      });

      test('prune of a store with nothing old enough is refused', async (t) => {
        await cleanup();
        if (!(await fresh(t))) return;
        await fill(store, 3);
        const [genesis] = await store.read({ to: 1 });
        await assert.rejects(store.prune(new Date(Date.parse(genesis!.time) - 1000).toISOString(), { time: at(20), instance: 'test' }), (err: unknown) => err instanceof AuditError && err.code === 'prune-refused');
      });
    });
  });
}
