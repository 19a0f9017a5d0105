/** Which statements can put a masked value into a result field that has no column origin. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { feedsOriginless } from '../../src/results/origin-feed.js';
import { initParser } from '../../src/sql/index.js';

before(() => initParser());

const question = { maskedColumns: new Set(['email', 'ssn']), maskedRelations: new Set(['customers']), unknownFunctions: false };
const feeds = (sql: string, unknownFunctions = false) => feedsOriginless(sql, { ...question, unknownFunctions });

test('plain references keep their origin: the wire masks them', () => {
  for (const sql of [
    'SELECT id, email, now() FROM customers',
    'SELECT c.email AS contact FROM customers c JOIN orders o ON o.customer = c.id',
    'SELECT email FROM (SELECT email FROM customers) s',
    'WITH c AS (SELECT email AS contact FROM customers) SELECT contact FROM c',
    'SELECT count(*) FROM customers WHERE email LIKE $$a%$$',
    'SELECT id FROM customers ORDER BY ssn',
    'UPDATE customers SET name = lower(email) WHERE id = 1 RETURNING id, email',
    'SELECT * FROM customers',
  ]) {
    assert.equal(feeds(sql), false, sql);
  }
});

test('expressions, set operations, scalar subqueries and whole rows feed origin-less fields', () => {
  for (const sql of [
    'SELECT lower(email) FROM customers',
    "SELECT email || '' FROM customers",
    'SELECT email::text FROM customers',
    'SELECT max(ssn) FROM customers',
    'SELECT email FROM customers UNION SELECT name FROM people',
    'SELECT (SELECT email FROM customers LIMIT 1)',
    'SELECT row_to_json(c) FROM customers c',
    'SELECT c FROM customers c',
    'SELECT to_json(customers.*) FROM customers',
    "SELECT xmlelement(name e, email) FROM customers",
    "SELECT json_build_object('e', email) FROM customers",
    'SELECT x FROM (SELECT lower(email) AS x FROM customers) s',
    'SELECT * FROM (SELECT lower(email) FROM customers) s',
    'WITH c(x) AS (SELECT upper(email) FROM customers) SELECT x FROM c',
    'SELECT y FROM (SELECT email FROM customers) s(y) UNION ALL SELECT 1',
    'COPY (SELECT email FROM customers) TO STDOUT',
    'DELETE FROM customers WHERE id = 1 RETURNING lower(email)',
    'DECLARE cur CURSOR FOR SELECT ssn || $$x$$ FROM customers',
    'EXECUTE p(1)',
    'SELECT CASE WHEN id > 0 THEN email END FROM customers',
  ]) {
    assert.equal(feeds(sql), true, sql);
  }
});

test('user functions may return anything: their origin-less fields count as fed', () => {
  assert.equal(feeds('SELECT id, my_func(id) FROM customers', true), true);
  assert.equal(feeds('SELECT * FROM get_customers()', true), true);
  assert.equal(feeds('SELECT id, lower(name) FROM customers', false), false);
});

test('nothing masked: nothing fed', () => {
  assert.equal(feedsOriginless('SELECT lower(email) FROM customers', { maskedColumns: new Set(), maskedRelations: new Set(), unknownFunctions: true }), false);
});
