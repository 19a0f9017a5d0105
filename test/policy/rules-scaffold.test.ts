/**
 * The new-rule scaffold: id checks, the registry edit, and a template that fails the catalogue's
 * tests until it is filled in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULE_ID_PATTERN, camelName, registerRule, ruleTemplate } from '../../scripts/new-rule.js';
import { repositoryRoot } from '../../scripts/gen-rule-docs.js';

const indexSource = () => readFileSync(join(repositoryRoot(), 'src/policy/rules/index.ts'), 'utf8');

test('rule ids must be kebab-case', () => {
  for (const id of ['no-drop', 'max-affected-rows', 'no-pg-stat2']) assert.match(id, RULE_ID_PATTERN);
  for (const id of ['No-drop', 'no_drop', 'no--drop', '-no', 'no-', '1-rule', '']) assert.doesNotMatch(id, RULE_ID_PATTERN);
});

test('module names are the camel-cased id', () => {
  assert.equal(camelName('no-lock-table'), 'noLockTable');
  assert.equal(camelName('max-2-rows'), 'max2Rows');
});

test('registering adds one import and one registry entry', () => {
  const before = indexSource();
  const after = registerRule(before, 'no-lock-table');
  assert.equal(typeof after, 'string');
  const added = (after as string).split('\n').filter((line) => !before.split('\n').includes(line));
  assert.deepEqual(added, ["import { noLockTable } from './no-lock-table.js';", '  noLockTable,']);
  assert.ok((after as string).indexOf('  noLockTable,') > (after as string).indexOf('export const builtinRules'));
});

test('registering an existing rule, or a registry without markers, is an error value', () => {
  assert.deepEqual(registerRule(indexSource(), 'no-drop'), { error: 'rule `no-drop` is already registered' });
  const result = registerRule('export const builtinRules = [] as const;', 'no-x');
  assert.equal(typeof result, 'object');
});

test('the template declares the rule under its id, with placeholders the catalogue test rejects', () => {
  const source = ruleTemplate('no-lock-table');
  assert.match(source, /export const noLockTable = defineRule\(\{\n  id: 'no-lock-table',/);
  assert.match(source, /TODO/);
});
