/** Column-level lineage derived from parse trees. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../src/sql/index.js';
import { columnLineage, type ColumnSource } from '../../src/lineage/columns.js';

before(() => initParser());

const src = (table: string, column: string, transformation: ColumnSource['transformation'] = 'identity'): ColumnSource => ({ table, column, transformation });

test('INSERT … SELECT maps target columns by position, through aliases and joins', () => {
  const out = columnLineage('insert into a.t (x, y, z) select o.id, sum(o.v), c.name || $1 from orders o join customers c on c.id = o.cid group by o.id, c.name');
  assert.deepEqual(out['a.t'], { x: [src('orders', 'id')], y: [src('orders', 'v', 'aggregation')], z: [src('customers', 'name', 'transformation')] });
});

test('INSERT … SELECT from a CTE and a subquery resolves to the base tables', () => {
  const out = columnLineage('with src as (select id, email as mail from customers) insert into emails (id, address) select s.id, s.mail from src s');
  assert.deepEqual(out.emails, { id: [src('customers', 'id')], address: [src('customers', 'email')] });
  const sub = columnLineage('insert into t (a) select x.total from (select sum(amount) as total from orders) x');
  assert.deepEqual(sub.t, { a: [src('orders', 'amount', 'aggregation')] });
});

test('INSERT … ON CONFLICT DO UPDATE: EXCLUDED columns carry the inserted sources', () => {
  const out = columnLineage('insert into t (id, v) select id, v from s on conflict (id) do update set v = excluded.v + t.v');
  assert.deepEqual(out.t?.v, [src('s', 'v'), src('s', 'v', 'transformation'), src('t', 'v', 'transformation')]);
});

test('CREATE TABLE AS and SELECT INTO name columns by output name or column list', () => {
  assert.deepEqual(columnLineage('create table s as select id, email as mail, upper(name) from customers').s, {
    id: [src('customers', 'id')],
    mail: [src('customers', 'email')],
    upper: [src('customers', 'name', 'transformation')],
  });
  assert.deepEqual(columnLineage('create table s (a, b) as select id, email from customers').s, { a: [src('customers', 'id')], b: [src('customers', 'email')] });
  assert.deepEqual(columnLineage('select id into archive.old_ids from sales.orders')['archive.old_ids'], { id: [src('sales.orders', 'id')] });
});

test('UPDATE … SET … FROM and MERGE', () => {
  const update = columnLineage('update orders o set total = x.s, note = $1 from (select order_id, sum(price) as s from items group by order_id) x where x.order_id = o.id');
  assert.deepEqual(update.orders, { total: [src('items', 'price', 'aggregation')] });
  const merge = columnLineage('merge into t using s on t.id = s.id when matched then update set v = s.v when not matched then insert (id, v) values (s.id, s.v * 2)');
  assert.deepEqual(merge.t, { v: [src('s', 'v'), src('s', 'v', 'transformation')], id: [src('s', 'id')] });
});

test('COPY FROM maps each listed column from the copy source', () => {
  assert.deepEqual(columnLineage('copy t (a, b) from stdin'), { t: { a: [src('copy:stdin', 'a')], b: [src('copy:stdin', 'b')] } });
  assert.deepEqual(columnLineage("copy t (a) from '/data/x.csv'"), { t: { a: [src('copy:file', 'a')] } });
  assert.deepEqual(columnLineage('copy t to stdout'), {});
});

test('what cannot be resolved without a catalog is left out, not guessed', () => {
  assert.deepEqual(columnLineage('insert into t select * from s'), {});
  assert.deepEqual(columnLineage('insert into t (a) select x from s1, s2'), {});
  assert.deepEqual(columnLineage('insert into t (a, b) values ($1, $2)'), {});
  assert.deepEqual(columnLineage('delete from t where id = $1'), {});
  assert.deepEqual(columnLineage('not sql at all'), {});
});
