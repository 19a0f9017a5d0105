/**
 * Policy validation: each kind of mistake is an error with a stable code at the exact line and
 * column — a typo must never silently weaken a policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { PolicyErrorCode, type PolicyIssue } from '../../src/policy/errors.js';
import { testRules } from './fixtures.js';

function issuesOf(text: string): PolicyIssue[] {
  const result = loadPolicy(text, { file: 'policy.yaml', rules: testRules });
  assert.equal(result.ok, false, 'expected the policy to be rejected');
  return result.ok ? [] : result.issues;
}

/** The single issue of a text, with its place. */
function onlyIssue(text: string): PolicyIssue {
  const issues = issuesOf(text);
  assert.equal(issues.length, 1, `expected one issue, got ${JSON.stringify(issues)}`);
  assert.equal(issues[0]!.file, 'policy.yaml');
  return issues[0]!;
}

function at(issue: PolicyIssue): [string, number, number] {
  return [issue.code, issue.line, issue.column];
}

test('a valid policy loads, with defaults filled in', () => {
  const result = loadPolicy('actors:\n  alice: { kind: human }\nrules:\n  - rule: test-no-drop\n', { rules: testRules });
  assert.ok(result.ok);
  assert.equal(result.policy.environment, 'production');
  assert.equal(result.policy.fail, 'deny');
  assert.deepEqual(result.policy.defaults, { human: 'allow', service: 'allow', agent: 'deny', pipeline: 'deny' });
  assert.equal(result.policy.anonymous.kind, 'agent');
  assert.deepEqual(result.policy.rules[0]!.params, { kinds: ['table'] });
});

test('an empty file is a valid, empty policy', () => {
  const result = loadPolicy('', { rules: testRules });
  assert.ok(result.ok);
  assert.equal(result.policy.rules.length, 0);
});

test('bad YAML is reported where the parser stopped', () => {
  const issue = onlyIssue('rules:\n  - rule: test-no-drop\n    kinds: [agent\n');
  assert.equal(issue.code, PolicyErrorCode.yaml);
  assert.equal(issue.line, 4);
});

test('a duplicate key is a YAML error at the second key', () => {
  assert.deepEqual(at(onlyIssue('environment: prod\nfail: deny\nenvironment: dev\n')), [PolicyErrorCode.yaml, 3, 1]);
});

test('an unknown top-level key points at the key, with a suggestion', () => {
  const issue = onlyIssue('environment: prod\nrulez:\n  - rule: test-no-drop\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.unknownKey, 2, 1]);
  assert.match(issue.hint ?? '', /`rules`/);
});

test('an unknown key inside a rule entry points at the key', () => {
  const issue = onlyIssue('rules:\n  - rule: test-no-drop\n    acton: deny\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.unknownKey, 3, 5]);
  assert.match(issue.hint ?? '', /`action`/);
});

test('an unknown key in a flow mapping points at the key', () => {
  assert.deepEqual(at(onlyIssue('actors:\n  bob: { kind: agent, grops: [a] }\n')), [PolicyErrorCode.unknownKey, 2, 23]);
});

test('a value outside its set names what was expected', () => {
  const issue = onlyIssue('rules:\n  - rule: test-no-drop\n    action: block\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.invalidValue, 3, 13]);
  assert.match(issue.message, /`allow`, `deny` or `review`/);
});

test('a missing required key points at the entry that lacks it', () => {
  assert.deepEqual(at(onlyIssue('actors:\n  bob:\n    groups: [a]\n')), [PolicyErrorCode.missingKey, 2, 3]);
});

test('an unknown rule id is an error at the id, with a suggestion', () => {
  const issue = onlyIssue('rules:\n  - rule: test-no-dorp\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.unknownRule, 2, 11]);
  assert.match(issue.hint ?? '', /`test-no-drop`/);
});

test('a parameter of the wrong type is an error at the parameter', () => {
  const issue = onlyIssue('rules:\n  - rule: test-no-drop\n    params:\n      kinds: table\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.ruleParams, 4, 14]);
  assert.match(issue.message, /expected a list/);
});

test('an unknown parameter is an error at its key', () => {
  assert.deepEqual(at(onlyIssue('rules:\n  - rule: test-no-drop\n    params: { kinds: [table], cascade: true }\n')), [PolicyErrorCode.unknownKey, 3, 31]);
});

test('bad CEL syntax is reported at the offending character', () => {
  // `=` instead of `==`: column of the `=` inside the quoted string.
  const issue = onlyIssue('rules:\n  - id: c\n    when: \'statement.kind = "delete"\'\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.celSyntax, 3, 27]);
});

test('bad CEL syntax inside a block scalar is located on its line', () => {
  const text = 'rules:\n  - id: c\n    when: |\n      actor.kind == "agent" &&\n        statement.kind = "x"\n';
  assert.deepEqual(at(onlyIssue(text)), [PolicyErrorCode.celSyntax, 5, 24]);
});

test('a CEL field name that does not exist fails the type check at the field', () => {
  const issue = onlyIssue('rules:\n  - id: c\n    when: statement.knd == "delete"\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.celType, 3, 21]);
  assert.match(issue.message, /knd/);
});

test('CEL comparing values of different types fails the type check', () => {
  assert.equal(onlyIssue('rules:\n  - id: c\n    when: actor.name == 1\n').code, PolicyErrorCode.celType);
});

test('a CEL condition that is not a bool is rejected', () => {
  const issue = onlyIssue('rules:\n  - id: c\n    when: statement.kind\n');
  assert.deepEqual(at(issue), [PolicyErrorCode.celType, 3, 11]);
  assert.match(issue.message, /bool/);
});

test('a custom rule needs a condition, and may not take a built-in or engine id', () => {
  assert.equal(onlyIssue('rules:\n  - id: c\n').code, PolicyErrorCode.missingKey);
  assert.deepEqual(at(onlyIssue('rules:\n  - id: test-no-drop\n    when: "true"\n')), [PolicyErrorCode.duplicate, 2, 9]);
  assert.equal(onlyIssue('rules:\n  - id: default\n    when: "true"\n').code, PolicyErrorCode.duplicate);
  assert.equal(onlyIssue('rules:\n  - id: c\n    when: "true"\n  - id: c\n    when: "false"\n').code, PolicyErrorCode.duplicate);
});

test('a rule entry names a built-in rule or a custom one, not both or neither', () => {
  assert.equal(onlyIssue('rules:\n  - rule: test-no-drop\n    id: x\n    when: "true"\n').code, PolicyErrorCode.invalidValue);
  assert.equal(onlyIssue('rules:\n  - action: deny\n').code, PolicyErrorCode.missingKey);
});

test('scopes and tests may only name defined actors', () => {
  const scoped = onlyIssue('actors:\n  alice: { kind: human }\nrules:\n  - rule: test-no-drop\n    actors: [alcie]\n');
  assert.deepEqual(at(scoped), [PolicyErrorCode.unknownActor, 5, 14]);
  assert.match(scoped.hint ?? '', /`alice`/);
  const tested = onlyIssue('tests:\n  - sql: select 1\n    actor: bob\n    expect: allow\n');
  assert.deepEqual(at(tested), [PolicyErrorCode.unknownActor, 3, 12]);
});

test('test cases may only expect known rule ids', () => {
  assert.deepEqual(at(onlyIssue('tests:\n  - sql: select 1\n    expect: deny\n    rules: [no-such-rule]\n')), [PolicyErrorCode.unknownRule, 4, 13]);
});

test('every problem of a file is reported at once', () => {
  const issues = issuesOf('rules:\n  - rule: nope\n  - id: c\n    when: statement.nope\n  - rule: test-no-drop\n    actors: [ghost]\n');
  assert.deepEqual(issues.map((i) => i.code).sort(), [PolicyErrorCode.celType, PolicyErrorCode.unknownActor, PolicyErrorCode.unknownRule].sort());
});

test('obligations on a rule that denies are a warning, not silently dropped', () => {
  const result = loadPolicy('rules:\n  - id: c\n    when: "true"\n    action: deny\n    obligations: { readOnly: true }\n', { rules: testRules });
  assert.ok(result.ok);
  assert.equal(result.warnings.length, 1);
  assert.equal(result.warnings[0]!.line, 5);
});

test('a mask needs tags or columns; an affected-row limit needs rows or percent', () => {
  assert.equal(onlyIssue('rules:\n  - id: c\n    when: "true"\n    action: allow\n    obligations: { mask: [{ style: hash }] }\n').code, PolicyErrorCode.missingKey);
  assert.equal(onlyIssue('rules:\n  - id: c\n    when: "true"\n    action: allow\n    obligations: { maxAffectedRows: { mode: exact } }\n').code, PolicyErrorCode.missingKey);
});

test('the anonymous actor takes the most restricted kind of the policy', () => {
  const load = (defaults: string) => {
    const result = loadPolicy(`defaults: ${defaults}\n`, { rules: testRules });
    assert.ok(result.ok);
    return result.policy.anonymous.kind;
  };
  assert.equal(load('{ agent: allow, pipeline: allow, human: allow, service: allow }'), 'agent');
  assert.equal(load('{ agent: allow, pipeline: review }'), 'pipeline');
  assert.equal(load('{ agent: allow, pipeline: allow, human: deny }'), 'human');
});
