/**
 * The audit store in PostgreSQL, for several Parapet instances writing to one trail.
 *
 * ONE serialised chain: every append locks the single row of `<schema>.head` (SELECT … FOR
 * UPDATE), seals its batch after that head, inserts it and moves the head, all in one transaction.
 * Instances therefore take turns per batch; each batch carries its instance id in every record.
 * Put the schema in a database the proxy's actors cannot reach (see docs/audit.md).
 */
import pg from 'pg';
import { canonicalJson, canonicalText } from './canonical.js';
import { assemble, chainKey, encodeBody, hashEncoded, sealTexts, type ChainKey } from './chain.js';
import { AuditError } from './errors.js';
import { recordAction, recordActor, recordSession, recordTables, ZERO_HASH } from './record.js';
import type { AuditRecord, ChainAlgorithm, RecordBody } from './record.js';
import { prunedGenesis, rowToRecord, type AuditStore, type ChainHead, type PruneResult, type ReadRange, type SearchQuery, type StoredRow } from './store.js';
import { bareName, tableMatch } from './table-names.js';

export interface PostgresStoreOptions {
  url: string;
  instance: string;
  hmacKey?: string;
  /** Default `parapet_audit`. */
  schema?: string;
  poolSize?: number;
}

function schemaSql(s: string): string {
  return `
create schema if not exists ${s};
create table if not exists ${s}.meta (key text primary key, value text not null);
create table if not exists ${s}.head (id int primary key check (id = 1), seq bigint not null, hash text not null);
create table if not exists ${s}.record (
  seq bigint primary key,
  prev text not null,
  hash text not null,
  time text not null,
  kind text not null,
  actor text,
  session text,
  action text,
  body text not null
);
create index if not exists record_time on ${s}.record(time);
create index if not exists record_actor on ${s}.record(actor) where actor is not null;
create index if not exists record_session on ${s}.record(session) where session is not null;
create table if not exists ${s}.record_table (name text not null, bare text not null, seq bigint not null, primary key (name, seq));
create index if not exists record_table_bare on ${s}.record_table(bare, seq);
`;
}

/** A quoted identifier for the schema name (it comes from config, not from actors). */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

interface Row {
  seq: string;
  prev: string;
  hash: string;
  time: string;
  kind: string;
  actor: string | null;
  session: string | null;
  action: string | null;
  body: string;
}

function toRecord(row: Row): AuditRecord {
  return rowToRecord({ seq: Number(row.seq), prev: row.prev, hash: row.hash, body: row.body });
}

export class PostgresAuditStore implements AuditStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
    private readonly key: ChainKey | undefined,
    readonly algorithm: ChainAlgorithm,
  ) {}

  /** Opens for writing: creates the schema, the genesis record and the head row when new. */
  static async open(options: PostgresStoreOptions): Promise<PostgresAuditStore> {
    const key = chainKey(options.hmacKey);
    const pool = PostgresAuditStore.pool(options);
    const s = ident(options.schema ?? 'parapet_audit');
    try {
      const store = new PostgresAuditStore(pool, s, key, key.algorithm);
      await store.transaction(async (client) => {
        // Serialise concurrent first starts of several instances (CREATE … IF NOT EXISTS races).
        await client.query("select pg_advisory_xact_lock(hashtext('parapet_audit'))");
        await client.query(schemaSql(s));
        const meta = await client.query<{ value: string }>(`select value from ${s}.meta where key = 'algorithm'`);
        const algorithm = meta.rows[0]?.value;
        if (algorithm === undefined) {
          await client.query(`insert into ${s}.meta (key, value) values ('algorithm', $1)`, [key.algorithm]);
        } else if (algorithm !== key.algorithm) {
          throw new AuditError('open-failed', `the audit store was written with \`${algorithm}\`, not \`${key.algorithm}\``, {
            hint: algorithm === 'hmac-sha256' ? 'set the key with PARAPET_AUDIT_KEY or audit.hmacKey' : 'remove the key, or start a new store',
          });
        }
        const head = await client.query<Row>(`select r.* from ${s}.head h join ${s}.record r on r.seq = h.seq for update of h`);
        const row = head.rows[0];
        if (!row) {
          const stamp = { time: new Date().toISOString(), instance: options.instance };
          await store.appendIn(client, key, [{ kind: 'genesis', reason: 'created', algorithm: key.algorithm, ...stamp }]);
        } else if (hashEncoded(key, Number(row.seq), row.prev, canonicalText(row.body)) !== row.hash) {
          throw new AuditError('open-failed', 'the newest audit record does not match the configured key', {
            hint: 'use the key the chain was written with, or run `parapet audit verify`',
          });
        }
      });
      return store;
    } catch (err) {
      await pool.end();
      if (err instanceof AuditError) throw err;
      throw new AuditError('open-failed', `cannot open the audit store in PostgreSQL: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Opens an existing store for reading (CLI). */
  static async openReadOnly(options: { url: string; schema?: string }): Promise<PostgresAuditStore> {
    const pool = PostgresAuditStore.pool({ ...options, poolSize: 2 });
    const s = ident(options.schema ?? 'parapet_audit');
    try {
      const meta = await pool.query<{ value: string }>(`select value from ${s}.meta where key = 'algorithm'`);
      return new PostgresAuditStore(pool, s, undefined, (meta.rows[0]?.value as ChainAlgorithm | undefined) ?? 'sha256');
    } catch (err) {
      await pool.end();
      throw new AuditError('open-failed', `cannot read the audit store in PostgreSQL: ${(err as Error).message}`, { cause: err });
    }
  }

  private static pool(options: { url: string; poolSize?: number }): pg.Pool {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 4, application_name: 'parapet-audit' });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => {});
    return pool;
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private writeKey(): ChainKey {
    if (!this.key) throw new AuditError('write-failed', 'the audit store was opened read-only');
    return this.key;
  }

  private async appendIn(client: pg.PoolClient, key: ChainKey, bodies: RecordBody[]): Promise<AuditRecord[]> {
    const s = this.s;
    const head = await client.query<{ seq: string; hash: string }>(`select seq, hash from ${s}.head where id = 1 for update`);
    const current = head.rows[0] ? { seq: Number(head.rows[0].seq), hash: head.rows[0].hash } : { seq: 0, hash: ZERO_HASH };
    const encoded = bodies.map(encodeBody);
    const hashes = sealTexts(key, encoded.map((e) => e.text), current);
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
    const tables: [string[], string[], number[]] = [[], [], []];
    encoded.forEach((e, i) => {
      const seq = current.seq + 1 + i;
      const body = bodies[i]!;
      const values = [seq, i === 0 ? current.hash : hashes[i - 1], hashes[i], e.time, e.kind, recordActor(body) ?? null, recordSession(body) ?? null, recordAction(body) ?? null, e.text];
      values.forEach((v, c) => cols[c]!.push(v));
      for (const name of recordTables(body)) {
        tables[0].push(name);
        tables[1].push(bareName(name));
        tables[2].push(seq);
      }
    });
    await client.query(
      `insert into ${s}.record (seq, prev, hash, time, kind, actor, session, action, body)
       select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      cols,
    );
    if (tables[0].length > 0) {
      await client.query(`insert into ${s}.record_table (name, bare, seq) select * from unnest($1::text[], $2::text[], $3::bigint[]) on conflict do nothing`, tables);
    }
    await client.query(
      `insert into ${s}.head (id, seq, hash) values (1, $1, $2) on conflict (id) do update set seq = excluded.seq, hash = excluded.hash`,
      [current.seq + bodies.length, hashes[hashes.length - 1]],
    );
    return assemble(bodies, current.seq + 1, current.hash, hashes);
  }

  async append(bodies: RecordBody[]): Promise<AuditRecord[]> {
    const key = this.writeKey();
    if (bodies.length === 0) return [];
    try {
      return await this.transaction((client) => this.appendIn(client, key, bodies));
    } catch (err) {
      if (err instanceof AuditError) throw err;
      throw new AuditError('write-failed', `the audit store cannot write: ${(err as Error).message}`, { cause: err });
    }
  }

  async head(): Promise<ChainHead | null> {
    const { rows } = await this.pool.query<{ seq: string | null; first: string; count: string }>(
      `select max(seq) as seq, min(seq) as first, count(*) as count from ${this.s}.record`,
    );
    const row = rows[0]!;
    if (row.seq === null) return null;
    const hash = await this.pool.query<{ hash: string }>(`select hash from ${this.s}.record where seq = $1`, [row.seq]);
    return { seq: Number(row.seq), hash: hash.rows[0]!.hash, first: Number(row.first), count: Number(row.count) };
  }

  async read(range: ReadRange = {}): Promise<AuditRecord[]> {
    const order = range.order === 'desc' ? 'desc' : 'asc';
    const { rows } = await this.pool.query<Row>(
      `select * from ${this.s}.record where seq >= $1 and seq <= $2 order by seq ${order} limit $3`,
      [range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, range.limit ?? null],
    );
    return rows.map(toRecord);
  }

  async search(query: SearchQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown): string => (params.push(value), `$${params.length}`);
    if (query.actor !== undefined) where.push(`r.actor = ${p(query.actor)}`);
    if (query.decision !== undefined) where.push(`r.kind = 'decision' and r.action = ${p(query.decision)}`);
    if (query.kind !== undefined) where.push(`r.kind = ${p(query.kind)}`);
    if (query.session !== undefined) where.push(`r.session = ${p(query.session)}`);
    if (query.since !== undefined) where.push(`r.time >= ${p(query.since)}`);
    if (query.until !== undefined) where.push(`r.time < ${p(query.until)}`);
    if (query.after !== undefined) where.push(`r.seq > ${p(query.after)}`);
    if (query.text !== undefined) where.push(`strpos(r.body, ${p(query.text)}) > 0`);
    if (query.rule !== undefined) where.push(`r.kind = 'decision' and (r.body::jsonb -> 'rules') ? ${p(query.rule)}`);
    if (query.table !== undefined) {
      const match = tableMatch(query.table);
      const cond = match.bare !== undefined ? `t.bare = ${p(match.bare)}` : `t.name = any(${p(match.names)}::text[])`;
      where.push(`exists (select 1 from ${this.s}.record_table t where t.seq = r.seq and ${cond})`);
    }
    const order = query.order === 'desc' ? 'desc' : 'asc';
    const sql = `select r.* from ${this.s}.record r ${where.length ? `where ${where.join(' and ')}` : ''} order by r.seq ${order} limit ${p(query.limit ?? null)}`;
    const { rows } = await this.pool.query<Row>(sql, params);
    return rows.map(toRecord);
  }

  async *scan(range: { from?: number; to?: number } = {}, pageSize = 5000): AsyncIterable<StoredRow[]> {
    let from = range.from ?? 0;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      const { rows } = await this.pool.query<Row & { tables: string[] | null }>(
        `select r.*, (select array_agg(t.name order by t.name collate "C") from ${this.s}.record_table t where t.seq = r.seq) as tables
         from ${this.s}.record r where r.seq >= $1 and r.seq <= $2 order by r.seq limit $3`,
        [from, to, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({ ...r, seq: Number(r.seq), tables: r.tables ?? [] }));
      from = Number(rows[rows.length - 1]!.seq) + 1;
    }
  }

  async prune(before: string, stamp: { time: string; instance: string }): Promise<PruneResult> {
    const key = this.writeKey();
    const s = this.s;
    return this.transaction(async (client) => {
      await client.query(`select 1 from ${s}.head where id = 1 for update`);
      const first = (await client.query<Row>(`select seq from ${s}.record order by seq limit 1`)).rows[0];
      const keep = (await client.query<{ seq: string | null }>(`select min(seq) as seq from ${s}.record where time >= $1`, [before])).rows[0]!;
      const head = (await client.query<{ seq: string }>(`select max(seq) as seq from ${s}.record`)).rows[0]!;
      if (!first) throw new AuditError('prune-refused', 'the audit store is empty');
      const standIn = keep.seq === null ? Number(head.seq) : Number(keep.seq) - 1;
      // Retention bookkeeping alone (the stand-in and its checkpoints) is not worth pruning again.
      const real = (await client.query<{ n: string }>(`select count(*) as n from ${s}.record where seq <= $1 and kind not in ('genesis', 'checkpoint')`, [standIn])).rows[0]!;
      if (standIn < Number(first.seq) || Number(real.n) === 0) {
        throw new AuditError('prune-refused', `no audit records older than \`${before}\``);
      }
      const removed = Number((await client.query<{ n: string }>(`select count(*) as n from ${s}.record where seq <= $1`, [standIn])).rows[0]!.n);
      const anchor = (await client.query<{ time: string; hash: string }>(`select time, hash from ${s}.record where seq = $1`, [standIn])).rows[0]!;
      await client.query(`delete from ${s}.record where seq < $1`, [standIn]);
      await client.query(`delete from ${s}.record_table where seq <= $1`, [standIn]);
      // The stand-in keeps the time of the record it replaces, so later prunes by date see it as old.
      const genesis = prunedGenesis(key.algorithm, { time: anchor.time, instance: stamp.instance }, before, removed);
      await client.query(`update ${s}.record set kind = 'genesis', actor = null, session = null, action = null, time = $1, body = $2 where seq = $3`, [
        genesis.time,
        canonicalJson(genesis),
        standIn,
      ]);
      const [checkpoint] = await this.appendIn(client, key, [
        { kind: 'checkpoint', reason: 'prune', through: standIn, throughHash: anchor.hash, removed, before, ...stamp },
      ]);
      return { removed, genesis: standIn, checkpoint: checkpoint! };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
