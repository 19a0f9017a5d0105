/**
 * The SQLite audit database, synchronous (better-sqlite3). The writer runs inside the worker
 * (./sqlite-worker.ts) so the proxy's event loop never waits on the disk; readers (CLI, search)
 * open their own read-only connection — WAL lets them read while the worker writes.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, canonicalText } from './canonical.js';
import { assemble, encodeBody, hashEncoded, sealTexts, type ChainKey, type EncodedBody } from './chain.js';
import { AuditError } from './errors.js';
import { ZERO_HASH } from './record.js';
import type { AuditRecord, ChainAlgorithm, RecordBody } from './record.js';
import { keyConditions, meetsConditions, searchKeys, type KeyCondition } from './search-keys.js';
import { hasKeyTable, KEY_SCHEMA, keyedThrough, keysBetween, keysOfText, keyWriter, migrateToKeys } from './sqlite-keys.js';
import { prunedGenesis, rowToRecord, type ChainHead, type KeyedRow, type PruneResult, type ReadRange, type SearchQuery } from './store.js';

// A commit writes the record row and nothing else: search keys, the time among them, are written
// after commit, in batches (./sqlite-keys.ts).
const SCHEMA = `
create table if not exists audit_meta (key text primary key, value text not null);
create table if not exists audit_record (
  seq integer primary key,
  prev text not null,
  hash text not null,
  time text not null,
  kind text not null,
  body text not null
);
${KEY_SCHEMA}`;

export interface SqliteOptions {
  path: string;
  /** `normal` (default) survives a process crash; `full` also survives power loss. */
  synchronous?: 'normal' | 'full';
  readonly?: boolean;
}

interface RowShape {
  seq: number;
  prev: string;
  hash: string;
  time: string;
  kind: string;
  body: string;
}

/** Where an appended batch landed: seq of its first record, the hash before it, each record's hash. */
export interface Appended {
  first: number;
  prev: string;
  hashes: string[];
}

export class SqliteAuditDb {
  readonly db: Database.Database;
  private readonly insertRecord: Database.Statement;
  /** Whether the file has the key table (not so for a file from before keys opened read-only). */
  private readonly keys: boolean;
  private readonly headStmt: Database.Statement;
  private appendTx: Database.Transaction<(key: ChainKey, bodies: EncodedBody[]) => Appended> | undefined;

  constructor(options: SqliteOptions) {
    try {
      if (!options.readonly) mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      this.db.pragma('busy_timeout = 10000');
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        this.db.exec(SCHEMA);
        migrateToKeys(this.db);
      }
      this.keys = hasKeyTable(this.db);
      this.insertRecord = this.db.prepare('insert into audit_record (seq, prev, hash, time, kind, body) values (?, ?, ?, ?, ?, ?)');
      this.headStmt = this.db.prepare('select seq, hash from audit_record order by seq desc limit 1');
    } catch (cause) {
      if (cause instanceof AuditError) throw cause;
      throw new AuditError('open-failed', `cannot open the audit store \`${options.path}\`: ${(cause as Error).message}`, {
        cause,
        hint: options.readonly ? 'check the path, or set it with --audit, the config file or PARAPET_AUDIT' : undefined,
      });
    }
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare('select value from audit_meta where key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /**
   * Prepares the store for writing with `key`: records the algorithm on first use (with a genesis
   * record) and refuses a key that does not match the chain already there.
   */
  initialise(key: ChainKey, stamp: { time: string; instance: string }): void {
    const tx = this.db.transaction(() => {
      const algorithm = this.meta('algorithm') as ChainAlgorithm | undefined;
      if (algorithm === undefined) {
        this.db.prepare('insert into audit_meta (key, value) values (?, ?)').run('algorithm', key.algorithm);
      } else if (algorithm !== key.algorithm) {
        throw new AuditError('open-failed', `the audit store was written with \`${algorithm}\`, not \`${key.algorithm}\``, {
          hint: algorithm === 'hmac-sha256' ? 'set the key with PARAPET_AUDIT_KEY or audit.hmacKey' : 'remove the key, or start a new store',
        });
      }
      const head = this.db.prepare('select * from audit_record order by seq desc limit 1').get() as RowShape | undefined;
      if (!head) {
        this.appendInTransaction(key, [encodeBody({ kind: 'genesis', reason: 'created', algorithm: key.algorithm, ...stamp })]);
        return;
      }
      if (hashEncoded(key, head.seq, head.prev, canonicalText(head.body)) !== head.hash) {
        throw new AuditError('open-failed', 'the newest audit record does not match the configured key', {
          hint: 'use the key the chain was written with, or run `parapet audit verify`',
        });
      }
    });
    tx.immediate();
  }

  get algorithm(): ChainAlgorithm {
    return (this.meta('algorithm') as ChainAlgorithm | undefined) ?? 'sha256';
  }

  /** Seals and writes encoded bodies after the current head, in one IMMEDIATE transaction. */
  append(key: ChainKey, bodies: EncodedBody[]): Appended {
    // Made once: building a transaction function costs more than a small batch's inserts.
    this.appendTx ??= this.db.transaction((k: ChainKey, b: EncodedBody[]) => this.appendInTransaction(k, b));
    return this.appendTx.immediate(key, bodies);
  }

  private appendInTransaction(key: ChainKey, bodies: EncodedBody[]): Appended {
    const head = (this.headStmt.get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: ZERO_HASH };
    const hashes = sealTexts(key, bodies.map((b) => b.text), head);
    let prev = head.hash;
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      const seq = head.seq + 1 + i;
      this.insertRecord.run(seq, prev, hashes[i], b.time, b.kind, b.text);
      prev = hashes[i]!;
    }
    return { first: head.seq + 1, prev: head.hash, hashes };
  }

  head(): ChainHead | null {
    const row = this.db
      .prepare('select max(seq) as seq, min(seq) as first, count(*) as count from audit_record')
      .get() as { seq: number | null; first: number; count: number };
    if (row.seq === null) return null;
    const { hash } = this.db.prepare('select hash from audit_record where seq = ?').get(row.seq) as { hash: string };
    return { seq: row.seq, hash, first: row.first, count: row.count };
  }

  read(range: ReadRange = {}): AuditRecord[] {
    const order = range.order === 'desc' ? 'desc' : 'asc';
    const rows = this.db
      .prepare(`select seq, prev, hash, body from audit_record where seq >= ? and seq <= ? order by seq ${order} limit ?`)
      .all(range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, range.limit ?? -1) as RowShape[];
    return rows.map(rowToRecord);
  }

  /**
   * Records up to the key mark are found through their keys; those after it (committed, not yet
   * keyed) by reading them. Both in one read transaction, so the mark and the rows agree.
   */
  search(query: SearchQuery): AuditRecord[] {
    const { conditions, rest } = keyConditions(query);
    const desc = query.order === 'desc';
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const timed = query.since !== undefined || query.until !== undefined;
    if (conditions.length === 0 && !timed) return this.matching(rest, [], {}, limit, desc).map(rowToRecord);
    return this.db.transaction((): AuditRecord[] => {
      const through = this.keys ? keyedThrough(this.db) : 0;
      const keyed = (n: number): RowShape[] => (through > 0 ? this.matching(rest, conditions, { to: through, byTimeKey: timed }, n, desc) : []);
      const unkeyed = (n: number): RowShape[] => {
        const rows = this.matching(rest, [], { from: through + 1 }, Number.POSITIVE_INFINITY, desc);
        return rows.filter((r) => meetsConditions(keysOfText(r.body), conditions)).slice(0, n);
      };
      const first = desc ? unkeyed(limit) : keyed(limit);
      const second = first.length < limit ? (desc ? keyed(limit - first.length) : unkeyed(limit - first.length)) : [];
      return [...first, ...second].map(rowToRecord);
    })();
  }

  /** Rows in `range` that meet the filters of `query` that read the record, and the key `conditions`. */
  private matching(
    query: SearchQuery,
    conditions: KeyCondition[],
    range: { from?: number; to?: number; byTimeKey?: boolean },
    limit: number,
    desc: boolean,
  ): RowShape[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (range.from !== undefined) (where.push('r.seq >= ?'), params.push(range.from));
    if (range.to !== undefined) (where.push('r.seq <= ?'), params.push(range.to));
    if (range.byTimeKey) {
      where.push("r.seq in (select seq from audit_key where name = 'time' and value >= ? and value < ?)");
      params.push(query.since ?? '', query.until ?? '\uffff');
    }
    for (const c of conditions) {
      where.push(`r.seq in (select seq from audit_key where name = ? and value in (${c.values.map(() => '?').join(',')}))`);
      params.push(c.name, ...c.values);
    }
    if (query.decision !== undefined) (where.push("r.kind = 'decision' and json_extract(r.body, '$.action') = ?"), params.push(query.decision));
    if (query.kind !== undefined) (where.push('r.kind = ?'), params.push(query.kind));
    if (query.since !== undefined) (where.push('r.time >= ?'), params.push(query.since));
    if (query.until !== undefined) (where.push('r.time < ?'), params.push(query.until));
    if (query.after !== undefined) (where.push('r.seq > ?'), params.push(query.after));
    if (query.text !== undefined) (where.push('instr(r.body, ?) > 0'), params.push(query.text));
    if (query.rule !== undefined) {
      where.push("r.kind = 'decision' and exists (select 1 from json_each(r.body, '$.rules') where value = ?)");
      params.push(query.rule);
    }
    const sql = `select r.seq, r.prev, r.hash, r.body from audit_record r ${where.length ? `where ${where.join(' and ')}` : ''} order by r.seq ${desc ? 'desc' : 'asc'} limit ?`;
    return this.db.prepare(sql).all(...params, Number.isFinite(limit) ? limit : -1) as RowShape[];
  }

  /** Raw rows with their stored keys, in seq order, for the verifier. */
  scanPage(from: number, to: number, limit: number): KeyedRow[] {
    return this.db.transaction((): KeyedRow[] => {
      const rows = this.db
        .prepare('select seq, prev, hash, time, kind, body from audit_record where seq >= ? and seq <= ? order by seq limit ?')
        .all(from, to, limit) as RowShape[];
      if (rows.length === 0) return [];
      const through = this.keys ? keyedThrough(this.db) : 0;
      const keys = this.keys ? keysBetween(this.db, rows[0]!.seq, rows[rows.length - 1]!.seq) : new Map();
      return rows.map((r) => ({ ...r, keys: keys.get(r.seq) ?? [], keyed: r.seq <= through }));
    })();
  }

  prune(key: ChainKey, before: string, stamp: { time: string; instance: string }): PruneResult {
    const tx = this.db.transaction((): PruneResult => {
      const first = this.db.prepare('select seq from audit_record order by seq limit 1').get() as { seq: number } | undefined;
      const keep = this.db.prepare('select min(seq) as seq from audit_record where time >= ?').get(before) as { seq: number | null };
      const head = this.headStmt.get() as { seq: number } | undefined;
      if (!first || !head) throw new AuditError('prune-refused', 'the audit store is empty');
      // The stand-in takes the place of the last removed record, so it must be older than `before`.
      const standIn = keep.seq === null ? head.seq : keep.seq - 1;
      // Retention bookkeeping alone (the stand-in and its checkpoints) is not worth pruning again.
      const real = this.db.prepare("select count(*) as n from audit_record where seq <= ? and kind not in ('genesis', 'checkpoint')").get(standIn) as { n: number };
      if (standIn < first.seq || real.n === 0) {
        throw new AuditError('prune-refused', `no audit records older than \`${before}\``);
      }
      const removed = (this.db.prepare('select count(*) as n from audit_record where seq <= ?').get(standIn) as { n: number }).n;
      const anchor = this.db.prepare('select time, hash from audit_record where seq = ?').get(standIn) as { time: string; hash: string };
      this.db.prepare('delete from audit_record where seq < ?').run(standIn);
      this.db.prepare('delete from audit_key where seq <= ?').run(standIn);
      // The stand-in keeps the time of the record it replaces, so later prunes by date see it as old.
      const genesis = prunedGenesis(key.algorithm, { time: anchor.time, instance: stamp.instance }, before, removed);
      this.db.prepare('update audit_record set kind = ?, time = ?, body = ? where seq = ?').run('genesis', genesis.time, canonicalJson(genesis), standIn);
      if (standIn <= keyedThrough(this.db)) keyWriter(this.db)(standIn, searchKeys(genesis));
      const body: RecordBody = { kind: 'checkpoint', reason: 'prune', through: standIn, throughHash: anchor.hash, removed, before, ...stamp };
      const written = this.appendInTransaction(key, [encodeBody(body)]);
      const [checkpoint] = assemble([body], written.first, written.prev, written.hashes);
      return { removed, genesis: standIn, checkpoint: checkpoint! };
    });
    return tx.immediate();
  }

  close(): void {
    this.db.close();
  }
}

