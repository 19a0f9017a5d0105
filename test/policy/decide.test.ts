/**
 * decide(): precedence, baselines, scopes, obligations and fail-closed behaviour, on hand-made
 * analyses and local test rules (independent of the analyser and the built-in catalogue).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../src/policy/decide.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { EngineRule, type Policy } from '../../src/policy/policy.js';
import type { Actor, DecisionRequest } from '../../src/policy/types.js';
import { actor, deleteAll, dropUsers, opaqueDo, request, selectUsers, statement, syntaxError, testRules } from './fixtures.js';

function policy(text: string): Policy {
  const result = loadPolicy(text, { rules: testRules });
  if (!result.ok) assert.fail(JSON.stringify(result.issues));
  return result.policy;
}

const alice = actor('alice', 'human', ['dba']);
const bot = actor('bot', 'agent');
const ci = actor('ci', 'pipeline');

test('deny beats review beats allow, and every deny names its rules', () => {
  const p = policy(`
defaults: { agent: allow }
rules:
  - id: review-drops
    when: statement.kind == "drop"
    action: review
  - rule: test-no-drop
  - id: allow-everything
    when: "true"
    action: allow
`);
  const d = decide(request(dropUsers, bot), p);
  assert.equal(d.action, 'deny');
  assert.deepEqual(d.rules, ['test-no-drop']);
  assert.equal(d.sqlstate, '42501');
  assert.equal(d.hint, 'rename instead');
  assert.deepEqual(d.reasons.map((r) => [r.rule, r.action]), [['review-drops', 'review'], ['test-no-drop', 'deny'], ['allow-everything', 'allow']]);

  const reviewOnly = policy(`
defaults: { agent: allow }
rules:
  - id: review-drops
    when: statement.kind == "drop"
    action: review
  - id: allow-everything
    when: "true"
    action: allow
`);
  const r = decide(request(dropUsers, bot), reviewOnly);
  assert.equal(r.action, 'review');
  assert.deepEqual(r.rules, ['review-drops']);
  assert.ok(r.hint, 'a review tells the caller how to proceed');
});

test('without a deciding rule the kind baseline applies: agents and pipelines are restricted by default', () => {
  const p = policy('rules: []');
  assert.equal(decide(request(selectUsers, alice), p).action, 'allow');
  for (const who of [bot, ci]) {
    const d = decide(request(selectUsers, who), p);
    assert.equal(d.action, 'deny');
    assert.deepEqual(d.rules, [EngineRule.baseline]);
    assert.ok(d.hint);
  }
  const reviewing = policy('defaults: { human: review }');
  assert.equal(decide(request(selectUsers, alice), reviewing).action, 'review');
});

test('a custom allow rule grants against a deny baseline; a built-in obligation rule does not', () => {
  const p = policy(`
rules:
  - rule: test-mask
  - id: agents-read
    when: statement.readOnlyState == "true"
    action: allow
`);
  const relations = { 'public.users': { schema: 'public', name: 'users', tags: [], columnTags: { email: ['pii'] } } };
  const read = decide(request(selectUsers, bot, { relations }), p);
  assert.equal(read.action, 'allow');
  assert.deepEqual(read.rules, ['test-mask', 'agents-read']);
  assert.deepEqual(read.obligations.mask, [{ tags: ['pii'], columns: [], style: 'redact' }]);

  const maskOnly = policy('rules:\n  - rule: test-mask\n');
  assert.equal(decide(request(selectUsers, bot, { relations }), maskOnly).action, 'deny');
});

test('scopes: actors, groups, kinds, environments and exceptions', () => {
  const p = policy(`
actors:
  alice: { kind: human, groups: [dba] }
  bob: { kind: human }
rules:
  - rule: test-no-drop
    except: { groups: [dba] }
  - id: no-deletes-in-prod
    when: statement.kind == "delete"
    environments: [production]
    kinds: [human]
`);
  const aliceActor = p.actors.get('alice')!;
  const bobActor = p.actors.get('bob')!;
  assert.equal(decide(request(dropUsers, aliceActor), p).action, 'allow');
  assert.equal(decide(request(dropUsers, bobActor), p).action, 'deny');
  assert.equal(decide(request(deleteAll, bobActor), p).action, 'deny');
  assert.equal(decide(request(deleteAll, bobActor, { environment: 'staging' }), p).action, 'allow');
  const onlyBob = policy('actors:\n  bob: { kind: human }\nrules:\n  - rule: test-no-drop\n    actors: [bob]\n');
  assert.equal(decide(request(dropUsers, alice), onlyBob).action, 'allow');
  assert.equal(decide(request(dropUsers, onlyBob.actors.get('bob')!), onlyBob).action, 'deny');
});

test('obligations of every allowing rule combine into the strictest', () => {
  const p = policy(`
defaults: { agent: allow }
rules:
  - id: cap-a
    when: "true"
    action: allow
    obligations:
      maxResultRows: { rows: 100, onExceed: truncate }
      mask: [{ tags: [pii], style: partial, keep: 4 }]
  - id: cap-b
    when: "true"
    action: allow
    obligations:
      maxResultRows: { rows: 500 }
      mask: [{ tags: [pii, secret], style: hash }]
      requireReason: true
`);
  const d = decide(request(selectUsers, bot), p);
  assert.equal(d.action, 'allow');
  assert.deepEqual(d.obligations.maxResultRows, { rows: 100, onExceed: 'error' });
  assert.deepEqual(d.obligations.mask, [{ tags: ['pii', 'secret'], columns: [], style: 'hash' }]);
  assert.equal(d.obligations.requireReason, true);
});

test('an affected-row limit is dropped for a statement that only reads', () => {
  const p = policy(`
defaults: { agent: allow }
rules:
  - id: limit
    when: "true"
    action: allow
    obligations: { maxAffectedRows: { rows: 10 } }
`);
  assert.equal(decide(request(selectUsers, bot), p).obligations.maxAffectedRows, undefined);
  assert.deepEqual(decide(request(statement({ ...deleteAll, effects: [{ type: 'write', relation: { name: 'users', qualified: false }, operation: 'delete', where: 'present' }] }), bot), p).obligations.maxAffectedRows, {
    rows: 10,
    mode: 'estimate',
    onUnknown: 'deny',
  });
});

test('standing obligations apply to every statement in scope; a read-only session denies writes', () => {
  const p = policy('defaults: { agent: allow }\nrules:\n  - rule: test-read-only\n    kinds: [agent]\n');
  const read = decide(request(selectUsers, bot), p);
  assert.equal(read.action, 'allow');
  assert.equal(read.obligations.readOnly, true);
  assert.deepEqual(read.reasons, [], 'standing obligations are not matches');
  assert.equal(decide(request(deleteAll, bot), p).action, 'deny');
  assert.equal(decide(request(selectUsers, alice), p).obligations.readOnly, undefined);
});

test('fail closed: a rule that throws denies, for every kind of actor, with the error', () => {
  const p = policy('defaults: { agent: allow }\nrules:\n  - rule: test-throws\n');
  for (const who of [alice, bot, ci, actor('svc', 'service')]) {
    const d = decide(request(selectUsers, who), p);
    assert.equal(d.action, 'deny', who.kind);
    assert.deepEqual(d.rules, ['test-throws']);
    assert.equal(d.errors.length, 1);
    assert.match(d.errors[0]!, /boom/);
  }
});

test('fail closed yields review when the policy says `fail: review`', () => {
  const p = policy('fail: review\nrules:\n  - rule: test-throws\n');
  const d = decide(request(selectUsers, alice), p);
  assert.equal(d.action, 'review');
  assert.equal(d.errors.length, 1);
});

test('fail closed: a CEL evaluation error denies (a missing map key)', () => {
  const p = policy('rules:\n  - id: by-model\n    when: actor.attributes.model == "x"\n');
  const d = decide(request(selectUsers, alice), p);
  assert.equal(d.action, 'deny');
  assert.deepEqual(d.rules, ['by-model']);
  assert.match(d.errors[0]!, /model/);
  const guarded = policy('rules:\n  - id: by-model\n    when: has(actor.attributes.model) && actor.attributes.model == "x"\n');
  assert.equal(decide(request(selectUsers, alice), guarded).action, 'allow');
});

test('fail closed: a condition that needs the read-only state denies when it is unknown', () => {
  const p = policy('rules:\n  - id: writes\n    when: "!statement.readOnly"\n    action: review\n');
  assert.equal(decide(request(deleteAll, alice), p).action, 'review');
  assert.equal(decide(request(selectUsers, alice), p).action, 'allow');
  const d = decide(request(opaqueDo, alice), p);
  assert.equal(d.action, 'deny');
  assert.match(d.errors[0]!, /read-only state is unknown/);
});

test('fail closed: a read-only session with a statement of unknown effect denies', () => {
  // The test rule itself lets `unknown` through; the engine must not.
  const p = policy('defaults: { agent: allow }\nrules:\n  - rule: test-read-only\n');
  const d = decide(request(opaqueDo, bot), p);
  assert.equal(d.action, 'deny');
  assert.deepEqual(d.rules, [EngineRule.readOnlySession]);
  assert.equal(d.errors.length, 1);
});

test('fail closed: what does not parse is denied for everyone, with the parser’s SQLSTATE', () => {
  const p = policy('defaults: { agent: allow }');
  for (const who of [alice, bot]) {
    const d = decide(request(syntaxError, who), p);
    assert.equal(d.action, 'deny');
    assert.deepEqual(d.rules, [EngineRule.analysis]);
    assert.equal(d.sqlstate, '42601');
    assert.equal(d.errors.length, 1);
  }
  const tooComplex = statement({ ...syntaxError, error: { code: '54001', message: 'statement too complex' } });
  assert.equal(decide(request(tooComplex, alice), policy('fail: review')).action, 'review');
  assert.equal(decide(request(tooComplex, alice), policy('fail: deny')).action, 'deny');
});

test('a match may override the action (unknown impact escalates) and the SQLSTATE', () => {
  const p = policy('defaults: { agent: allow }\nrules:\n  - rule: test-max-rows\n  - rule: test-require-where\n    action: review\n');
  const write = statement({ ...deleteAll, effects: [{ type: 'write', relation: { name: 'users', qualified: false }, operation: 'delete', where: 'present' }] });
  assert.equal(decide(request(write, bot), p).action, 'review');
  assert.equal(decide(request(write, bot, { impact: { rows: 500, mode: 'estimate' } }), p).action, 'deny');
  assert.equal(decide(request(write, bot, { impact: { rows: 5, mode: 'estimate' } }), p).action, 'allow');
  const denyWhere = policy('defaults: { agent: allow }\nrules:\n  - rule: test-require-where\n');
  assert.equal(decide(request(deleteAll, bot), denyWhere).sqlstate, '42P99');
});

test('a policy entry can override message, hint and SQLSTATE', () => {
  const p = policy('rules:\n  - rule: test-no-drop\n    message: no drops here\n    hint: talk to the DBA\n    sqlstate: P0001\n');
  const d = decide(request(dropUsers, alice), p);
  assert.deepEqual([d.message, d.hint, d.sqlstate], ['no drops here', 'talk to the DBA', 'P0001']);
});

test('CEL sees the request: session, time, relations, data tags, impact and statement tags', () => {
  const relations = { 'public.users': { schema: 'public', name: 'users', tags: ['crm'], columnTags: { email: ['pii'], id: ['key'] }, rows: 1200 } };
  const base: Partial<DecisionRequest> = { relations, session: { database: 'app', applicationName: 'psql' }, now: '2025-03-07T18:30:00Z' };
  const cases: [string, boolean][] = [
    ['session.database == "app" && session.applicationName == "psql"', true],
    ['now.getDayOfWeek() == 5 && now.getHours() >= 18', true],
    ['"pii" in dataTags && !("key" in dataTags) && "crm" in dataTags', true],
    ['relations["public.users"].rows > 1000', true],
    ['statement.reads == ["public.users"] && statement.writes.size() == 0', true],
    ['has(statement.tags.reason)', false],
    ['environment == "production"', true],
    ['impact.measured', false],
  ];
  for (const [when, expected] of cases) {
    const p = policy(`rules:\n  - id: probe\n    when: '${when}'\n    action: review\n`);
    const d = decide(request(selectUsers, alice, base), p);
    assert.equal(d.errors.length, 0, `${when}: ${d.errors.join()}`);
    assert.equal(d.action, expected ? 'review' : 'allow', when);
  }
});

test('reading the impact figure when none was measured fails closed', () => {
  const p = policy('rules:\n  - id: big\n    when: impact.rows > 100\n    needsImpact: true\n');
  assert.equal(p.rules[0]!.needsImpact!(request(deleteAll, alice)), true);
  assert.equal(p.rules[0]!.needsImpact!(request(selectUsers, alice)), false);
  assert.equal(decide(request(deleteAll, alice), p).action, 'deny');
  assert.equal(decide(request(deleteAll, alice, { impact: { rows: 5, mode: 'exact' } }), p).action, 'allow');
  assert.equal(decide(request(deleteAll, alice, { impact: { rows: 'unknown', mode: 'estimate' } }), p).errors.length, 1);
});

test('decide is deterministic and does not mutate its inputs', () => {
  const p = policy('defaults: { agent: allow }\nrules:\n  - rule: test-no-drop\n  - rule: test-read-only\n');
  const req = request(dropUsers, bot);
  const snapshot = structuredClone(req);
  assert.deepEqual(decide(req, p), decide(req, p));
  assert.deepEqual(req, snapshot);
});

test('rules are matched per actor object and environment (cached scope tables stay correct)', () => {
  const p = policy('rules:\n  - rule: test-no-drop\n    environments: [production]\n');
  const who: Actor = alice;
  assert.equal(decide(request(dropUsers, who, { environment: 'production' }), p).action, 'deny');
  assert.equal(decide(request(dropUsers, who, { environment: 'dev' }), p).action, 'allow');
  assert.equal(decide(request(dropUsers, who, { environment: 'production' }), p).action, 'deny');
});
