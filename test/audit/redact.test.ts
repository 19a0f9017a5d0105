/** Statement redaction: from the analyser's lexer; passwords never survive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactStatement, REDACTED } from '../../src/audit/redact.js';

const SECRET = 's3cr3t-Pa55';

const passwordStatements = [
  `CREATE ROLE app LOGIN PASSWORD '${SECRET}'`,
  `create user app with encrypted password '${SECRET}' valid until 'infinity'`,
  `ALTER ROLE app WITH PASSWORD '${SECRET}'`,
  `alter user "App" password E'${SECRET}'`,
  `ALTER ROLE app PASSWORD U&'${SECRET}'`,
  `alter role app password $q$${SECRET}$q$`,
  `alter role app password '${SECRET.slice(0, 4)}' '${SECRET.slice(4)}'`,
  `CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password '${SECRET}')`,
  `ALTER SERVER remote OPTIONS (SET password '${SECRET}')`,
  `CREATE SUBSCRIPTION sub CONNECTION 'host=db password=${SECRET}' PUBLICATION pub`,
  `SELECT dblink_connect('conn', 'host=db user=app password=${SECRET}')`,
  `select * from dblink('dbname=x password=${SECRET}', 'select 1') as t(a int)`,
  // Does not parse: redacted by the scanner instead.
  `ALTER ROLE app PASSWORD '${SECRET}' BOGUS SYNTAX HERE (`,
  /* comment */ `/* reason='rotate' */ alter role app password '${SECRET}'`,
];

for (const sql of passwordStatements) {
  test(`password never kept: ${sql.slice(0, 60)}`, () => {
    for (const mode of ['none', 'literals'] as const) {
      const out = redactStatement(sql, mode);
      assert.ok(!out.includes(SECRET.slice(4)) && !out.includes(SECRET.slice(0, 4) + "'"), `${mode}: ${out}`);
    }
  });
}

test('literals: constants in utility statements are redacted too', () => {
  for (const sql of ["copy t from '/srv/private/export.csv'", "comment on table t is 'private note'", "create server s foreign data wrapper w options (host 'private.example')"]) {
    assert.ok(!redactStatement(sql, 'literals').includes('private'), sql);
  }
});

test('literals: every constant becomes a parameter, structure and comments stay', () => {
  const out = redactStatement("/* ticket='T-1' */ select * from customers where email = 'a@b.c' and id > 42 and score < 1.5", 'literals');
  assert.ok(!out.includes('a@b.c') && !out.includes('42') && !out.includes('1.5'));
  assert.ok(out.includes('from customers where email = $'));
  assert.ok(out.includes("ticket='T-1'"));
});

test('literals: text that does not parse is redacted token by token', () => {
  const out = redactStatement("selec 'private' from t where x = 7", 'literals');
  assert.ok(!out.includes('private') && !out.includes('7'));
  assert.ok(out.startsWith('selec $1 from t'));
});

test('text the lexer cannot read is replaced whole, in both modes', () => {
  for (const sql of ["select 'unterminated secret", 'select 1 /* unterminated secret', "alter role a password $$secret"]) {
    for (const mode of ['none', 'literals'] as const) assert.ok(!redactStatement(sql, mode).includes('secret'), `${mode}: ${sql}`);
  }
});

test('none: text is kept except credentials', () => {
  const sql = "update customers set email = 'x@y.z' where id = 3";
  assert.equal(redactStatement(sql, 'none'), sql);
  assert.equal(redactStatement(`alter role a password 'p'`, 'none'), `alter role a password ${REDACTED}`);
  assert.equal(redactStatement('alter role a password null', 'none'), 'alter role a password null');
});

test('none: a string literal that merely contains the word password is kept', () => {
  const sql = "select 'password' as word, password_hint from users";
  assert.equal(redactStatement(sql, 'none'), sql);
});

test('literals: existing parameters are numbered around, not reused', () => {
  const out = redactStatement("selec $1, 'x'", 'literals');
  assert.equal(out, 'selec $1, $2');
});
