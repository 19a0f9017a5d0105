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

test('nothing masked and no user function: nothing fed; a user function may return masked data', () => {
  assert.equal(feedsOriginless('SELECT get_all_emails()', { maskedColumns: new Set(), maskedRelations: new Set(), unknownFunctions: true }), true);
  assert.equal(feedsOriginless('SELECT lower(email) FROM customers', { maskedColumns: new Set(), maskedRelations: new Set(), unknownFunctions: false }), false);
});

test('writes that move masked data, and writes that only filter on it', async () => {
  const { copiesMasked } = await import('../../src/results/origin-feed.js');
  for (const sql of [
    'INSERT INTO export (a) SELECT email FROM customers',
    'INSERT INTO export SELECT * FROM customers',
    'CREATE TABLE t AS SELECT lower(email) FROM customers',
    'CREATE TEMP TABLE t AS SELECT id, ssn FROM customers',
    'SELECT email INTO scratch FROM customers',
    'UPDATE customers SET name = email',
    'UPDATE other SET note = c.ssn FROM customers c WHERE c.id = other.id',
    'UPDATE other SET note = (SELECT email FROM customers LIMIT 1)',
    'MERGE INTO t USING customers c ON t.id = c.id WHEN MATCHED THEN UPDATE SET note = c.email',
    'MERGE INTO t USING (SELECT id, upper(email) AS x FROM customers) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.x)',
    "INSERT INTO t VALUES ((SELECT email FROM customers WHERE id = 1))",
  ]) {
    assert.equal(copiesMasked(sql, question), true, sql);
  }
  for (const sql of [
    'INSERT INTO export (a) SELECT id FROM customers WHERE email LIKE $$a%$$',
    'UPDATE customers SET name = $$x$$ WHERE email = $$a@b$$',
    'DELETE FROM customers WHERE ssn IS NULL',
    'MERGE INTO t USING customers c ON t.id = c.id WHEN MATCHED THEN DELETE',
    'CREATE TABLE t AS SELECT id, name FROM customers',
    "INSERT INTO t VALUES (1, 'x')",
  ]) {
    assert.equal(copiesMasked(sql, question), false, sql);
  }
});
