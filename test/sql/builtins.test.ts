import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILTIN_CLASSES,
  HARMLESS_VOLATILE,
  builtinNames,
  builtinVolatility,
  classifyFunction,
  expandPatterns,
  handClassifiedBuiltins,
  isBuiltinOperator,
  lookupBuiltin,
} from '../../src/sql/builtins/index.js';
import { adminQuery, needPostgres } from '../support/postgres.js';

const names = [...builtinNames()];
const volatile = names.filter((n) => builtinVolatility(n) === 'volatile');
const harmless = new Set(expandPatterns(HARMLESS_VOLATILE, names));

test('every volatile builtin is classified or listed as harmless', () => {
  const classified = handClassifiedBuiltins();
  const missing = volatile.filter((n) => !classified.has(n) && !harmless.has(n));
  assert.deepEqual(missing, [], `volatile builtins without a classification: ${missing.join(', ')}`);
});

test('every hand-kept entry names a builtin', () => {
  for (const [cls, patterns] of Object.entries(BUILTIN_CLASSES)) {
    for (const pattern of patterns) {
      assert.ok(expandPatterns([pattern], names).every((n) => lookupBuiltin(n)), `${cls}: ${pattern}`);
      assert.ok(expandPatterns([pattern], names).length > 0, `${cls}: ${pattern} matches no builtin`);
    }
  }
  for (const pattern of HARMLESS_VOLATILE) {
    const matched = expandPatterns([pattern], names);
    assert.ok(matched.length > 0, `harmless: ${pattern} matches no builtin`);
    const notVolatile = matched.filter((n) => builtinVolatility(n) !== 'volatile');
    assert.deepEqual(notVolatile, [], `harmless list holds non-volatile builtins (drop them)`);
  }
});

test('no builtin is in two classes, nor both classified and harmless', () => {
  const seen = new Map<string, string>();
  for (const [cls, patterns] of Object.entries(BUILTIN_CLASSES)) {
    for (const name of expandPatterns(patterns, names)) {
      assert.equal(seen.get(name) ?? cls, cls, `${name} is both ${seen.get(name)} and ${cls}`);
      seen.set(name, cls);
      assert.ok(!harmless.has(name), `${name} is ${cls} and harmless`);
    }
  }
});

test('classifies builtins, qualified names and user functions', () => {
  const cases: [string, string | undefined, string, boolean][] = [
    ['nextval', undefined, 'side-effect', true],
    ['pg_advisory_xact_lock', undefined, 'side-effect', true],
    ['pg_terminate_backend', 'pg_catalog', 'dangerous', true],
    ['pg_import_system_collations', undefined, 'dangerous', true],
    ['pg_create_logical_replication_slot', undefined, 'dangerous', true],
    ['pg_stat_reset_shared', undefined, 'dangerous', true],
    ['pg_read_file', undefined, 'file', true],
    ['pg_ls_dir', undefined, 'file', true],
    ['lo_import', undefined, 'large-object', true],
    ['lo_from_bytea', undefined, 'large-object', true],
    ['query_to_xml', undefined, 'dynamic-sql', true],
    ['database_to_xml', undefined, 'dynamic-sql', true],
    ['set_config', undefined, 'config', true],
    ['current_setting', undefined, 'safe', true],
    ['random', undefined, 'safe', true],
    ['lower', 'pg_catalog', 'safe', true],
    ['count', undefined, 'safe', true],
    ['nextval', 'public', 'unknown', false],
    ['my_function', undefined, 'unknown', false],
    ['dblink_exec', undefined, 'network', false],
    ['dblink', 'public', 'network', false],
    ['pg_file_write', undefined, 'file', false],
  ];
  for (const [name, schema, cls, builtin] of cases) {
    const got = classifyFunction(name, schema);
    assert.equal(got.class, cls, `${schema ?? ''}.${name}`);
    assert.equal(got.builtin, builtin, `${schema ?? ''}.${name} builtin`);
  }
});

test('reports volatility (the most volatile overload) and kinds', () => {
  assert.equal(classifyFunction('lower').volatility, 'immutable');
  assert.equal(classifyFunction('now').volatility, 'stable');
  assert.equal(classifyFunction('random').volatility, 'volatile');
  assert.equal(builtinVolatility('ts_rewrite'), 'volatile');
  assert.equal(classifyFunction('my_function').volatility, undefined);
  assert.deepEqual(lookupBuiltin('rank')?.kinds, ['aggregate', 'window']);
  assert.deepEqual(lookupBuiltin('sum')?.kinds, ['aggregate']);
  assert.equal(lookupBuiltin('constructor'), undefined);
  assert.equal(lookupBuiltin('toString'), undefined);
});

test('knows builtin operators', () => {
  for (const op of ['+', '=', '~~', '@>', '||', '->>', '<->']) assert.ok(isBuiltinOperator(op), op);
  for (const op of ['###', '=>>', '@@@@']) assert.ok(!isBuiltinOperator(op), op);
});

test('the committed catalogue covers the live server', async (t) => {
  if (!(await needPostgres(t))) return;
  const rows = await adminQuery<{ proname: string; provolatile: string }>(
    `select proname, provolatile from pg_proc where pronamespace = 'pg_catalog'::regnamespace`,
  );
  const rank = { immutable: 0, stable: 1, volatile: 2 } as const;
  const letter: Record<string, keyof typeof rank> = { i: 'immutable', s: 'stable', v: 'volatile' };
  const stale = rows.filter((r) => {
    const known = builtinVolatility(r.proname);
    return known === undefined || rank[known] < rank[letter[r.provolatile]!];
  });
  assert.deepEqual(stale.map((r) => r.proname), [], 'regenerate: node --import tsx scripts/generate-builtins.ts');
  const ops = await adminQuery<{ oprname: string }>(`select distinct oprname from pg_operator`);
  assert.deepEqual(ops.filter((o) => !isBuiltinOperator(o.oprname)).map((o) => o.oprname), []);
});
