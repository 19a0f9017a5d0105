/** The PostgreSQL audit store against the shared contract, in a uniquely named database dropped after. */
import pg from 'pg';
import { PostgresAuditStore } from '../../src/audit/postgres-store.js';
import { bareName } from '../../src/audit/table-names.js';
import { createTestDatabase, postgresReachable } from '../support/postgres.js';
import { auditStoreContract, type StoreLocation, type Tamper } from './contract.js';

const S = 'parapet_audit';

function postgresTamper(url: string): Tamper {
  const run = async (work: (client: pg.Client) => Promise<void>): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('begin');
      await work(client);
      await client.query('commit');
    } finally {
      await client.end();
    }
  };
  const move = async (client: pg.Client, where: string, to: string, params: unknown[]): Promise<void> => {
    for (const table of ['record', 'record_table']) {
      await client.query(`update ${S}.${table} set seq = -(${to}) where ${where}`, params);
      await client.query(`update ${S}.${table} set seq = -seq where seq < 0`);
    }
  };
  return {
    setBody: (seq, body) => run(async (c) => void (await c.query(`update ${S}.record set body = $1 where seq = $2`, [body, seq]))),
    setColumn: (seq, column, value) => run(async (c) => void (await c.query(`update ${S}.record set ${column} = $1 where seq = $2`, [value, seq]))),
    setHash: (seq, hash) => run(async (c) => void (await c.query(`update ${S}.record set hash = $1 where seq = $2`, [hash, seq]))),
    remove: (seqs) =>
      run(async (c) => {
        await c.query(`delete from ${S}.record where seq = any($1)`, [seqs]);
        await c.query(`delete from ${S}.record_table where seq = any($1)`, [seqs]);
      }),
    shift: (from, delta) => run((c) => move(c, 'seq >= $1', `seq + ${delta}`, [from])),
    swap: (a, b) => run((c) => move(c, 'seq in ($1, $2)', `case seq when ${a} then ${b} else ${a} end`, [a, b])),
    insert: (row, tables = []) =>
      run(async (c) => {
        await c.query(`insert into ${S}.record (seq, prev, hash, time, kind, actor, session, action, body) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
          row.seq, row.prev, row.hash, row.time, row.kind, row.actor ?? null, row.session ?? null, row.action ?? null, row.body,
        ]);
        for (const name of tables) await c.query(`insert into ${S}.record_table (name, bare, seq) values ($1, $2, $3)`, [name, bareName(name), row.seq]);
      }),
  };
}

auditStoreContract('postgres', {
  async location(): Promise<StoreLocation | undefined> {
    if (!(await postgresReachable())) {
      if (process.env.PARAPET_REQUIRE_POSTGRES) throw new Error('PostgreSQL is required (PARAPET_REQUIRE_POSTGRES) but unreachable');
      return undefined;
    }
    const db = await createTestDatabase('parapet_audit_test');
    return {
      open: (options = {}) =>
        PostgresAuditStore.open({ url: db.url, instance: options.instance ?? 'test', ...(options.hmacKey ? { hmacKey: options.hmacKey } : {}) }),
      tamper: postgresTamper(db.url),
      destroy: () => db.drop(),
    };
  },
});
