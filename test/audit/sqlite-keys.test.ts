/**
 * SQLite search keys: written after commit in batches, search that sees records not keyed yet,
 * verify that checks keys, and files from before keys migrated on write-open.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/audit/canonical.js';
import { chainKey, encodeBody, hashEncoded } from '../../src/audit/chain.js';
import { recordAction, recordActor, recordSession, recordTables, ZERO_HASH, type DecisionBody, type RecordBody } from '../../src/audit/record.js';
import { SqliteAuditDb } from '../../src/audit/sqlite-db.js';
import { keyedThrough, keyPending } from '../../src/audit/sqlite-keys.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { verifyChain } from '../../src/audit/verify.js';
import { bareName } from '../../src/audit/table-names.js';

const KEY = chainKey(undefined);
const dir = mkdtempSync(join(tmpdir(), 'parapet-audit-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `audit-${++files}.db`);

const TIME = '2026-03-01T10:00:00.000Z';
const minute = (n: number): string => new Date(Date.parse(TIME) + n * 60_000).toISOString();

function decision(n: number): DecisionBody {
  return {
    kind: 'decision',
    time: minute(n),
    instance: 'test',
    session: `s${n % 4}`,
    door: 'proxy',
    actor: { name: n % 2 ? 'alice' : 'etl', kind: n % 2 ? 'human' : 'pipeline', groups: [] },
    statementIndex: 0,
    statement: 'update public.orders set status = $1 where id = $2',
    redaction: 'literals',
    fingerprint: 'f',
    statementKind: 'update',
    readOnly: false,
    action: n % 5 === 0 ? 'deny' : 'allow',
    rules: n % 5 === 0 ? ['no-bulk-update'] : [],
    message: 'm',
    tags: {},
    read: n % 3 === 0 ? ['customers'] : [],
    written: [{ table: 'public.orders', operation: 'update' }],
  };
}

const decisions = (from: number, count: number): RecordBody[] => Array.from({ length: count }, (_, i) => decision(from + i));

function openDb(path = freshPath()): SqliteAuditDb {
  const db = new SqliteAuditDb({ path, synchronous: 'normal' });
  db.initialise(KEY, { time: TIME, instance: 'test' });
  return db;
}

const keyRows = (db: Database.Database): number => (db.prepare('select count(*) as n from audit_key').get() as { n: number }).n;

test('keys are written in batches after commit, and the mark moves with them', () => {
  const db = openDb();
  db.append(KEY, decisions(1, 1199).map(encodeBody));
  assert.equal(keyedThrough(db.db), 0);
  assert.equal(keyRows(db.db), 0, 'a commit writes no keys');
  assert.equal(keyPending(db.db, 500), 500);
  assert.equal(keyedThrough(db.db), 500);
  assert.equal(keyPending(db.db, 500), 500);
  assert.equal(keyPending(db.db, 500), 200);
  assert.equal(keyedThrough(db.db), 1200);
  assert.equal(keyPending(db.db, 500), 0);
  // Each decision: actor, session, its tables and their bare names, its time; a deny also its decision.
  const seq7 = db.db.prepare('select name, value from audit_key where seq = 7 order by name, value').all();
  assert.deepEqual(seq7, [
    { name: 'actor', value: 'etl' },
    { name: 'bare', value: 'customers' },
    { name: 'bare', value: 'orders' },
    { name: 'session', value: 's2' },
    { name: 'table', value: 'customers' },
    { name: 'table', value: 'public.orders' },
    { name: 'time', value: minute(6) },
  ]);
  db.close();
});

test('search finds keyed and not-yet-keyed records alike, in order, across the mark', () => {
  const db = openDb();
  db.append(KEY, decisions(1, 40).map(encodeBody));
  keyPending(db.db, 25); // seqs 1..25 keyed, 26..41 not
  assert.equal(keyedThrough(db.db), 25);
  const expected = (pred: (d: DecisionBody) => boolean): number[] =>
    decisions(1, 40)
      .map((d, i) => ({ d: d as DecisionBody, seq: i + 2 }))
      .filter(({ d }) => pred(d))
      .map(({ seq }) => seq);
  const seqs = (q: Parameters<SqliteAuditDb['search']>[0]): number[] => db.search(q).map((r) => r.seq);
  assert.deepEqual(seqs({ actor: 'alice' }), expected((d) => d.actor.name === 'alice'));
  assert.deepEqual(seqs({ table: 'customers' }), expected((d) => d.read.includes('customers')));
  assert.deepEqual(seqs({ table: 'public.orders', session: 's1' }), expected((d) => d.session === 's1'));
  assert.deepEqual(seqs({ decision: 'deny' }), expected((d) => d.action === 'deny'));
  assert.deepEqual(seqs({ decision: 'allow', actor: 'etl' }), expected((d) => d.action === 'allow' && d.actor.name === 'etl'));
  assert.deepEqual(seqs({ kind: 'genesis' }), [1]);
  assert.deepEqual(seqs({ since: minute(10), until: minute(30) }), expected((d) => d.time >= minute(10) && d.time < minute(30)));
  assert.deepEqual(seqs({ since: minute(10), actor: 'alice', order: 'desc' }), expected((d) => d.time >= minute(10) && d.actor.name === 'alice').reverse());
  const alice = expected((d) => d.actor.name === 'alice');
  assert.deepEqual(seqs({ actor: 'alice', limit: 15 }), alice.slice(0, 15));
  assert.deepEqual(seqs({ actor: 'alice', order: 'desc', limit: 15 }), [...alice].reverse().slice(0, 15));
  assert.deepEqual(seqs({ actor: 'alice', after: 30 }), alice.filter((s) => s > 30));
  db.close();
});

test('verify checks keys: a changed, missing or planted key is named as an edit', async () => {
  const path = freshPath();
  const store = await SqliteAuditStore.open({ path, instance: 'test' });
  await store.append(decisions(1, 30));
  await store.close(); // the writer keys everything before it stops
  const tamper = (sql: string): void => {
    const db = new Database(path);
    db.prepare(sql).run();
    db.close();
  };
  const verify = async (): Promise<{ ok: boolean; seq?: number; problem?: string; message?: string }> => {
    const reader = SqliteAuditStore.openReadOnly(path);
    const report = await verifyChain(reader, KEY);
    await reader.close();
    return { ok: report.ok, ...(report.failure ? { seq: report.failure.seq, problem: report.failure.problem, message: report.failure.message } : {}) };
  };
  {
    const db = new Database(path, { readonly: true });
    assert.equal(keyedThrough(db), 31);
    db.close();
  }
  assert.deepEqual(await verify(), { ok: true });

  tamper("update audit_key set value = 'mallory' where seq = 5 and name = 'actor'");
  const changed = await verify();
  assert.deepEqual([changed.seq, changed.problem], [5, 'edited']);
  assert.match(changed.message ?? '', /search key/);
  tamper("update audit_key set value = 'etl' where seq = 5 and name = 'actor'");
  assert.equal((await verify()).ok, true);

  tamper("delete from audit_key where seq = 9 and name = 'table'");
  assert.deepEqual([(await verify()).seq, (await verify()).problem], [9, 'edited']);
  tamper("insert into audit_key (name, value, seq) values ('table', 'public.orders', 9)");
  assert.equal((await verify()).ok, true);

  // Records not keyed yet, and a mark moved past them to hide them from search: named.
  const db = new SqliteAuditDb({ path, synchronous: 'normal' });
  db.append(KEY, decisions(31, 2).map(encodeBody));
  db.close();
  assert.equal((await verify()).ok, true);
  tamper("update audit_meta set value = '33' where key = 'keyed'");
  const hidden = await verify();
  assert.deepEqual([hidden.seq, hidden.problem], [32, 'edited']);
});

/** A file as the store wrote it before keys: search columns on the record, a table index beside it. */
function oldFile(path: string, bodies: RecordBody[]): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    create table audit_meta (key text primary key, value text not null);
    create table audit_record (seq integer primary key, prev text not null, hash text not null, time text not null, kind text not null, actor text, session text, action text, body text not null);
    create index audit_record_time on audit_record(time);
    create index audit_record_actor on audit_record(actor) where actor is not null;
    create index audit_record_session on audit_record(session) where session is not null;
    create table audit_table (name text not null, bare text not null, seq integer not null, primary key (name, seq)) without rowid;
    create index audit_table_bare on audit_table(bare, seq);
    insert into audit_meta (key, value) values ('algorithm', 'sha256');
  `);
  let prev = ZERO_HASH;
  bodies.forEach((body, i) => {
    const seq = i + 1;
    const text = canonicalJson(body);
    const hash = hashEncoded(KEY, seq, prev, text);
    db.prepare('insert into audit_record values (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(seq, prev, hash, body.time, body.kind, recordActor(body) ?? null, recordSession(body) ?? null, recordAction(body) ?? null, text);
    for (const name of recordTables(body)) db.prepare('insert into audit_table values (?, ?, ?)').run(name, bareName(name), seq);
    prev = hash;
  });
  db.close();
}

test('a file from before keys: read-only it is searched by reading; opened for writing it migrates', async () => {
  const path = freshPath();
  oldFile(path, [{ kind: 'genesis', reason: 'created', algorithm: 'sha256', time: TIME, instance: 'old' }, ...decisions(1, 20)]);

  const before = SqliteAuditStore.openReadOnly(path);
  assert.equal((await before.search({ actor: 'alice' })).length, 10);
  assert.equal((await verifyChain(before, KEY)).ok, true);
  await before.close();

  const store = await SqliteAuditStore.open({ path, instance: 'test' });
  await store.append(decisions(21, 10));
  await store.close();

  const db = new Database(path, { readonly: true });
  const columns = (db.prepare("select name from pragma_table_info('audit_record')").all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns, ['seq', 'prev', 'hash', 'time', 'kind', 'body']);
  const indexes = db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'audit_record'").all();
  assert.deepEqual(indexes, [], 'a commit writes no index entry');
  assert.equal(db.prepare("select 1 from sqlite_master where name = 'audit_table'").get(), undefined);
  assert.equal(keyedThrough(db), 31, 'old and new records keyed');
  db.close();

  const after = SqliteAuditStore.openReadOnly(path);
  assert.equal((await after.search({ actor: 'alice' })).length, 15);
  assert.equal((await after.search({ table: 'customers' })).length, 10);
  const report = await verifyChain(after, KEY);
  assert.deepEqual([report.ok, report.checked], [true, 31]);
  await after.close();
});
