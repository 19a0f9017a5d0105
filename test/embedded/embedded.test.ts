import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { EmbeddedError, startEmbedded, type EmbeddedDatabase } from '../../src/embedded/index.js';
import { lockPath } from '../../src/embedded/lock.js';
import { readManifest } from '../../src/embedded/asset.js';
import { INJECTION_TICKET_IDS, generateSampleDataset } from '../../src/embedded/sample/sample-dataset.js';
import { eventually, isAlive, tempDataDir } from './support.js';

async function query<T extends pg.QueryResultRow>(db: EmbeddedDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EmbeddedError, `expected an EmbeddedError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

test('first start unpacks the shipped sample data, which is exactly the generated dataset', async (t) => {
  const db = await startEmbedded({ dataDir: tempDataDir(t) });
  try {
    assert.equal(db.source, 'asset');
    assert.equal(db.maxSessions, 1);
    assert.equal(db.host, '127.0.0.1');
    const dataset = generateSampleDataset();
    const counts = await query<{ table: string; n: number }>(
      db,
      `select 'customers' as table, count(*)::int as n from customers
       union all select 'products', count(*)::int from products
       union all select 'orders', count(*)::int from orders
       union all select 'order_items', count(*)::int from order_items
       union all select 'support_tickets', count(*)::int from support_tickets`,
    );
    for (const { table, n } of counts) assert.equal(n, dataset[table as keyof typeof dataset].length, table);
    assert.deepEqual(Object.fromEntries(counts.map(({ table, n }) => [table, n])), readManifest().rows);

    const customers = await query(db, 'select id, name, email, phone, ssn, country from customers order by id');
    assert.deepEqual(customers, dataset.customers.map(({ created_at: _, ...rest }) => rest));
    const totals = await query<{ id: number; total_cents: number }>(db, 'select id, total_cents from orders order by id');
    assert.deepEqual(totals, dataset.orders.map(({ id, total_cents }) => ({ id, total_cents })));
    const view = await query(db, 'select * from customer_emails where id = 1');
    assert.deepEqual(view, [{ id: 1, name: dataset.customers[0]!.name, email: dataset.customers[0]!.email }]);
    const injected = await query<{ id: number }>(
      db,
      "select id from support_tickets where body ilike '%ignore previous instructions%' order by id",
    );
    assert.deepEqual(injected.map((row) => row.id), [...INJECTION_TICKET_IDS]);
  } finally {
    await db.stop();
  }
  assert.deepEqual(await db.exited, { code: 0, signal: null });
});

test('serial ids continue after the sample rows, and the non-superuser roles exist', async (t) => {
  const db = await startEmbedded({ dataDir: tempDataDir(t) });
  try {
    const [row] = await query<{ id: number }>(
      db,
      "insert into customers (name, email) values ('New Person', 'new.person@example.com') returning id",
    );
    assert.equal(row!.id, generateSampleDataset().customers.length + 1);
    const roles = await query<{ rolname: string; rolsuper: boolean }>(
      db,
      'select rolname, rolsuper from pg_roles where rolname = any($1) order by rolname',
      [Object.values(db.roles)],
    );
    assert.deepEqual(roles.map((r) => [r.rolname, r.rolsuper]), Object.values(db.roles).sort().map((r) => [r, false]));
  } finally {
    await db.stop();
  }
});

test('a second start reopens the same data directory and keeps what was written', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await startEmbedded({ dataDir });
  try {
    await query(first, "update products set stock = 4242 where id = 1");
  } finally {
    await first.stop();
  }
  assert.equal(existsSync(lockPath(dataDir)), false, 'stop releases the lock');
  const second = await startEmbedded({ dataDir });
  try {
    assert.equal(second.source, 'existing');
    assert.deepEqual(await query(second, 'select stock from products where id = 1'), [{ stock: 4242 }]);
  } finally {
    await second.stop();
  }
});

test('a second instance on the same data directory is refused while the first runs', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await startEmbedded({ dataDir });
  try {
    await rejectsWithCode(startEmbedded({ dataDir }), 'EMBEDDED_LOCKED');
    assert.deepEqual(await query(first, 'select 1 as ok'), [{ ok: 1 }], 'the first keeps serving');
  } finally {
    await first.stop();
  }
});

test('a lock left by a dead process is taken over', async (t) => {
  const dataDir = tempDataDir(t);
  mkdirSync(dataDir, { recursive: true });
  const dead = spawn(process.execPath, ['-e', '0']);
  await once(dead, 'exit');
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid: dead.pid, hostname: (await import('node:os')).hostname(), startedAt: '' }));
  const lines: string[] = [];
  const db = await startEmbedded({ dataDir, log: (line) => lines.push(line) });
  await db.stop();
  assert.ok(lines.some((line) => line.includes(`stale lock of process ${dead.pid}`)), lines.join('\n'));
});

test('a directory that is not an embedded database is refused', async (t) => {
  const dataDir = tempDataDir(t);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${dataDir}/notes.txt`, 'mine');
  await rejectsWithCode(startEmbedded({ dataDir }), 'EMBEDDED_DATA_DIR_INVALID');
  assert.equal(existsSync(`${dataDir}/notes.txt`), true, 'nothing of it is removed');
  assert.equal(existsSync(lockPath(dataDir)), false, 'the lock is released');
});

test('a data directory whose creation was interrupted is created again', async (t) => {
  const dataDir = tempDataDir(t);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${dataDir}/parapet-seeding`, '');
  writeFileSync(`${dataDir}/PG_VERSION`, '18\n');
  const db = await startEmbedded({ dataDir });
  try {
    assert.equal(db.source, 'asset');
    assert.deepEqual(await query(db, 'select count(*)::int as n from products'), [{ n: 50 }]);
  } finally {
    await db.stop();
  }
});

test('when the shipped data does not fit this PGlite, the sample database is built from SQL', async (t) => {
  const assetDir = tempDataDir(t);
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(`${assetDir}/manifest.json`, JSON.stringify({ ...readManifest(), pglite: '0.0.1' }));
  const dataDir = `${assetDir}/../data`;
  const db = await startEmbedded({ dataDir, assetDir });
  try {
    assert.equal(db.source, 'sql');
    const dataset = generateSampleDataset();
    assert.deepEqual(await query(db, 'select count(*)::int as n from order_items'), [{ n: dataset.order_items.length }]);
  } finally {
    await db.stop();
  }
});

test('a port already in use is reported, not hidden', async (t) => {
  const first = await startEmbedded({ dataDir: tempDataDir(t) });
  try {
    await rejectsWithCode(startEmbedded({ dataDir: tempDataDir(t), port: first.port }), 'EMBEDDED_START_FAILED');
  } finally {
    await first.stop();
  }
});

test('the database process does not outlive a parent that is killed', async (t) => {
  const dataDir = tempDataDir(t);
  const fixture = fileURLToPath(new URL(`./fixtures/hold-embedded${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  const execArgv = fixture.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const parent = spawn(process.execPath, [...execArgv, fixture, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => parent.kill('SIGKILL'));
  const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
  const { pid } = JSON.parse(line) as { pid: number };
  assert.ok(isAlive(pid), 'the database process runs while the parent does');

  parent.kill('SIGKILL');
  await once(parent, 'exit');
  assert.ok(await eventually(() => !isAlive(pid)), `database process ${pid} is still running`);
  assert.ok(await eventually(() => !existsSync(lockPath(dataDir))), 'it released its lock on the way out');
});

// PGlite behaviour the proxy relies on (docs/embedded.md, "Limits"): if a PGlite upgrade changes
// it, these fail and the proxy's session handling must be revisited.
test('one backend session is shared: DISCARD ALL clears it, but the role must be set explicitly', async (t) => {
  const db = await startEmbedded({ dataDir: tempDataDir(t) });
  const connect = async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return client;
  };
  const state = "select current_user as role, current_setting('application_name') as app, (select count(*)::int from pg_prepared_statements) as prepared";
  try {
    const first = await connect();
    await first.query("set application_name = 'first'; prepare p as select 1");
    await first.query(`set session authorization ${db.roles.readWrite}`);
    await first.query('begin');
    await first.query('update products set stock = stock + 1000 where id = 1');
    await first.end();

    const second = await connect();
    try {
      assert.deepEqual((await second.query(state)).rows, [{ role: db.roles.readWrite, app: 'first', prepared: 1 }], 'state leaks');
      const [{ stock }] = (await second.query<{ stock: number }>('select stock from products where id = 1')).rows as [{ stock: number }];
      assert.ok(stock < 1000, 'the open transaction was rolled back when its socket closed');
      await second.query('discard all');
      assert.deepEqual((await second.query(state)).rows, [{ role: db.roles.readWrite, app: '', prepared: 0 }], 'the role survives DISCARD ALL');
      await assert.rejects(second.query('drop table customers'), { code: '42501' }, 'the non-superuser role does not own the tables');
      await second.query(`set session authorization ${db.roles.readOnly}`);
      await assert.rejects(second.query('delete from order_items where order_id = 1'), { code: '42501' });
      await second.query(`set session authorization ${db.user}`);
      assert.equal((await second.query(state)).rows[0].role, db.user);
    } finally {
      await second.end();
    }
  } finally {
    await db.stop();
  }
});
