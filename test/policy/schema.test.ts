/**
 * schemas/policy.schema.json (for editors) is the loader's schema with the built-in rules spelled
 * out; it must stay in step with the code, and accept what the loader accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { builtinRules } from '../../src/policy/rules/index.js';
import { policyJsonSchema } from '../../src/policy/schema.js';
import { DEFAULT_POLICY_PATH } from '../../src/cli/policy-files.js';

const root = join(dirname(DEFAULT_POLICY_PATH), '..');
const committed = JSON.parse(readFileSync(join(root, 'schemas', 'policy.schema.json'), 'utf8'));

test('schemas/policy.schema.json is up to date (regenerate: parapet policy schema > schemas/policy.schema.json)', () => {
  assert.deepEqual(committed, policyJsonSchema(builtinRules));
});

test('the editor schema accepts the default policy and rejects unknown rules and bad parameters', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
  assert.equal(validate(parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'))), true, JSON.stringify(validate.errors));
  assert.equal(validate({ rules: [{ rule: 'no-dorp' }] }), false);
  assert.equal(validate({ rules: [{ rule: 'no-drop', params: { kinds: 'table' } }] }), false);
  assert.equal(validate({ rules: [{ rule: 'no-drop', params: { kinds: ['table'] } }] }), true);
});

