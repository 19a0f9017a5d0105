import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SAMPLE_ACTORS, SAMPLE_STATEMENTS, welcomeText } from '../../src/embedded/welcome.js';
import { sampleFiles } from '../../src/embedded/package-root.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { loadSecrets } from '../../src/policy/secrets.js';
import { builtinRules } from '../../src/policy/rules/index.js';

const files = sampleFiles();

function samplePolicy() {
  const result = loadPolicy(readFileSync(files.policy, 'utf8'), { file: files.policy, rules: builtinRules });
  if (!result.ok) assert.fail(result.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('\n'));
  return result;
}

test('the welcome text gives a working psql command for every sample actor', () => {
  const text = welcomeText({ host: '127.0.0.1', port: 6543 });
  for (const actor of SAMPLE_ACTORS) {
    assert.ok(text.includes(`psql "postgres://${actor.name}:${actor.password}@127.0.0.1:6543/postgres"`), actor.name);
  }
  for (const statement of SAMPLE_STATEMENTS) assert.ok(text.includes(statement.sql), statement.sql);
});

test('a wildcard listen address is shown as loopback, an IPv6 one in brackets', () => {
  assert.ok(welcomeText({ host: '0.0.0.0', port: 1 }).includes('@127.0.0.1:1/'));
  assert.ok(welcomeText({ host: '::', port: 1 }).includes('@127.0.0.1:1/'));
  assert.ok(welcomeText({ host: '::1', port: 1 }).includes('@[::1]:1/'));
});

test('the welcome text names the rule of each blocked statement', () => {
  const text = welcomeText({ host: 'localhost', port: 6543, capabilities: { mask: true, maxResultRows: true, readOnly: true } });
  for (const statement of SAMPLE_STATEMENTS.filter((s) => s.expect === 'deny')) {
    assert.ok(statement.rules.length > 0, statement.sql);
    for (const rule of statement.rules) assert.ok(text.includes(`rule ${rule}`), `${statement.sql} names ${rule}`);
  }
  assert.equal(text.includes('unenforceable-obligation'), false);
});

test('without masking and row caps (the default) the welcome text says the masked statement is denied', () => {
  const text = welcomeText({ host: 'localhost', port: 6543 });
  const masked = SAMPLE_STATEMENTS.find((s) => s.rules.includes('mask-columns'))!;
  const line = text.split('\n').findIndex((l) => l.includes(masked.sql));
  assert.match(text.split('\n')[line + 1]!, /denied .*unenforceable-obligation/);
});

test('the sample policy loads cleanly and defines exactly the sample actors', () => {
  const { policy, warnings } = samplePolicy();
  assert.deepEqual(warnings, []);
  assert.deepEqual([...policy.actors.keys()].sort(), SAMPLE_ACTORS.map((a) => a.name).sort());
  assert.deepEqual(policy.actors.get('alice'), { name: 'alice', kind: 'human', groups: ['engineering'], attributes: {} });
  assert.equal(policy.actors.get('agent')!.kind, 'agent');
  assert.equal(policy.actors.get('agent')!.attributes.model, 'demo-model');
  assert.deepEqual(policy.resources.tags.get('public.customers.ssn'), ['secret']);
});

test('the sample secrets hold the passwords the welcome text prints, with a plaintext warning each', () => {
  const { policy } = samplePolicy();
  const result = loadSecrets(readFileSync(files.secrets, 'utf8'), { file: files.secrets, env: {}, actors: policy.actors });
  if (!result.ok) assert.fail(result.issues.map((i) => i.message).join('\n'));
  for (const actor of SAMPLE_ACTORS) assert.deepEqual(result.secrets.get(actor.name), { password: actor.password });
  assert.equal(result.warnings.length, SAMPLE_ACTORS.length);
});
