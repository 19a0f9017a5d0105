/**
 * Startup decisions: settings that arrive below the SQL (startup parameters, `-c` in `options`) are
 * decided like the matching SET, under the shipped default policy; database allow-lists and
 * replication requests are decided too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createGuard, parseOptions } from '../../src/guard/index.js';
import { DEFAULT_POLICY_PATH } from '../../src/cli/policy-files.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { EngineRule } from '../../src/policy/policy.js';

const text = readFileSync(DEFAULT_POLICY_PATH, 'utf8') + `
actors:
  alice: { kind: human, databases: [app] }
  bot: { kind: agent }
`;
const loaded = loadPolicy(text, { file: 'default+actors.yaml' });
if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
const guard = createGuard({ policy: loaded.policy });
const alice = guard.actor('alice')!;
const bot = guard.actor('bot')!;

test('options are split like the backend does, with backslash escapes', () => {
  assert.deepEqual(parseOptions('-c search_path=a\\ b  --statement-timeout=5s -cwork_mem=64MB'), {
    settings: [
      ['search_path', 'a b'],
      ['statement_timeout', '5s'],
      ['work_mem', '64MB'],
    ],
  });
  assert.deepEqual(parseOptions(''), { settings: [] });
  assert.ok('error' in parseOptions('-B 100'));
  assert.ok('error' in parseOptions('-c'));
  assert.ok('error' in parseOptions('-c novalue'));
});

test('a harmless startup setting is allowed', async () => {
  const d = await guard.decideConnect(bot, 'app', { user: 'bot', database: 'app', application_name: 'psql', options: '-c extra_float_digits=3' });
  assert.equal(d.action, 'allow', d.message);
});

test('a setting in options is decided like the SET it stands for', async () => {
  const d = await guard.decideConnect(bot, 'app', { user: 'bot', options: '-c search_path=evil,public' });
  const set = await guard.evaluate({ sql: "SET search_path TO 'evil,public'", actor: bot, session: { database: 'app' } });
  assert.equal(d.action, 'deny');
  assert.deepEqual([d.action, d.rules], [set.decision.action, set.decision.rules]);
  assert.ok(d.rules.includes('no-config-change'));
  const human = await guard.decideConnect(alice, 'app', { user: 'alice', options: '-c search_path=app' });
  assert.equal(human.action, 'allow');
});

test('switching off triggers at startup is denied for people too', async () => {
  const variants: Record<string, string>[] = [{ options: '--session-replication-role=replica' }, { session_replication_role: 'replica' }];
  for (const parameters of variants) {
    const d = await guard.decideConnect(alice, 'app', { user: 'alice', ...parameters });
    assert.equal(d.action, 'deny', JSON.stringify(parameters));
    assert.ok(d.rules.includes('no-trigger-disable'));
  }
});

test('the pinned settings cannot be changed at startup', async () => {
  const d = await guard.decideConnect(alice, 'app', { user: 'alice', options: '-c standard_conforming_strings=off' });
  assert.equal(d.action, 'deny');
});

test('a quote in a setting value cannot break out of the SET', async () => {
  const d = await guard.decideConnect(bot, 'app', { user: 'bot', application_name: "x'; DROP TABLE users; --" });
  assert.equal(d.action, 'allow', 'the value is one string literal');
});

test('unknown switches, odd setting names and replication are refused', async () => {
  const cases: Record<string, string>[] = [{ options: '-B 1000' }, { 'bad name': 'x' }, { replication: 'database' }, { replication: 'true' }];
  for (const parameters of cases) {
    const d = await guard.decideConnect(alice, 'app', { user: 'alice', ...parameters });
    assert.equal(d.action, 'deny', JSON.stringify(parameters));
    assert.deepEqual(d.rules, [EngineRule.startup]);
  }
  assert.equal((await guard.decideConnect(alice, 'app', { user: 'alice', replication: 'false' })).action, 'allow');
});

test('an actor may connect only to the databases it lists', async () => {
  assert.equal((await guard.decideConnect(alice, 'app', { user: 'alice' })).action, 'allow');
  const d = await guard.decideConnect(alice, 'postgres', { user: 'alice' });
  assert.equal(d.action, 'deny');
  assert.deepEqual(d.rules, [EngineRule.database]);
  assert.match(d.hint ?? '', /`app`/);
  assert.equal((await guard.decideConnect(bot, 'anything', { user: 'bot' })).action, 'allow', 'no list: any database');
});
