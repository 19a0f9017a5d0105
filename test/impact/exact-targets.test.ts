/**
 * `exactTargets`: what the catalog tells an exact run about its write targets — when the command tag
 * is the whole count, when every changed row must be counted, the table size for percentages, and
 * foreign tables — and when the catalog cannot tell (the door then asks the planner).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactTargets } from '../../src/impact/exact-plan.js';
import type { CatalogSnapshot, RelationEntry } from '../../src/catalog/snapshot.js';
import { analyze, initParser } from '../../src/sql/index.js';

await initParser();

function relation(oid: number, schema: string, name: string, extra: Partial<RelationEntry> = {}): RelationEntry {
  return { oid, schema, name, kind: 'table', partition: false, temporary: false, parent: false, columns: new Map([[1, 'id'], [2, 'note']]), columnTypes: new Map(), ...extra };
}

function snapshot(relations: RelationEntry[], extra: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  const named = new Map<string, number[]>();
  for (const r of relations) named.set(r.name, [...(named.get(r.name) ?? []), r.oid]);
  return {
    loadedAt: 0,
    schemas: new Map(),
    relations: new Map(relations.map((r) => [r.oid, r])),
    relationByName: new Map(relations.map((r) => [`${r.schema}.${r.name}`, r.oid])),
    relationsNamed: named,
    functions: new Map(),
    functionsNamed: new Map(),
    cascades: new Map(),
    hooks: new Map(),
    ...extra,
  };
}

const first = (sql: string) => analyze(sql).statements[0]!;

test('one plain table: the command tag counts, and its size is the base of percentages', () => {
  const targets = exactTargets(first("UPDATE items SET note = 'x' WHERE id < 10"), snapshot([relation(1, 'public', 'items', { rows: 1000 })]));
  assert.deepEqual(targets, { foreign: [], facts: { countAll: false, tableRows: 1000 } });
});

test('cascades, triggers, child tables and several writes make every changed row count', () => {
  const items = relation(1, 'public', 'items', { rows: 1000 });
  const lines = relation(2, 'public', 'lines');
  const cascading = snapshot([items, lines], { cascades: new Map([[1, [{ referencing: 2, onDelete: 'cascade', onUpdate: 'none', columns: [1] }]]]) });
  assert.equal(exactTargets(first('DELETE FROM items WHERE id < 10'), cascading).facts?.countAll, true);
  // The key column is not updated: the ON DELETE action does not fire.
  assert.equal(exactTargets(first("UPDATE items SET note = 'x' WHERE id < 10"), cascading).facts?.countAll, false);
  const triggered = snapshot([items], { hooks: new Map([[1, [{ type: 'trigger', name: 'audit', events: ['update'] }]]]) });
  assert.equal(exactTargets(first("UPDATE items SET note = 'x' WHERE id < 10"), triggered).facts?.countAll, true);
  const inherited = snapshot([relation(1, 'public', 'items', { parent: true })]);
  assert.equal(exactTargets(first('DELETE FROM items WHERE id < 10'), inherited).facts?.countAll, true);
  const two = exactTargets(first('WITH gone AS (DELETE FROM lines RETURNING id) UPDATE items SET note = 1 WHERE id IN (SELECT id FROM gone)'), snapshot([items, lines]));
  assert.deepEqual(two.facts, { countAll: true });
});

test('an ambiguous, unknown or non-table target leaves the facts to the planner; foreign tables are named', () => {
  const twice = snapshot([relation(1, 'public', 'items'), relation(2, 'other', 'items')]);
  assert.equal(exactTargets(first('DELETE FROM items WHERE id = 1'), twice).facts, undefined);
  assert.deepEqual(exactTargets(first('DELETE FROM other.items WHERE id = 1'), twice).facts, { countAll: false });
  assert.equal(exactTargets(first('DELETE FROM missing WHERE id = 1'), twice).facts, undefined);
  const remote = snapshot([relation(1, 'public', 'items'), relation(2, 'ext', 'items', { kind: 'foreign-table' })]);
  assert.deepEqual(exactTargets(first('DELETE FROM items WHERE id = 1'), remote), { foreign: ['ext.items'] });
});
