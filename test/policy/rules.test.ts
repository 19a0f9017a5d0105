/**
 * The built-in catalogue: every rule's examples run through its own `check` on a request built
 * from the real analysis; the metadata every rule must carry; the registry; the generated docs.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { initParser } from '../../src/sql/index.js';
import type { RuleDefinition, RuleExample, RuleMatch } from '../../src/policy/rule.js';
import { builtinRules, isRuleId, ruleById, type RuleId } from '../../src/policy/rules/index.js';
import { buildExampleRequests, runExample } from '../../src/policy/rules/example-request.js';
import { repositoryRoot, ruleDocFiles, staleRuleDocs } from '../../scripts/gen-rule-docs.js';
import { RULE_ID_PATTERN } from '../../scripts/new-rule.js';

const rules: readonly RuleDefinition[] = builtinRules;

before(async () => {
  await initParser();
});

/** Cedar-style wording: lowercase, no trailing period, no internal type names. */
function assertWording(rule: RuleDefinition, match: RuleMatch): void {
  const where = `rule ${rule.id}: ${JSON.stringify(match)}`;
  assert.match(match.message, /^[a-z`]/, `message starts lowercase (${where})`);
  assert.doesNotMatch(match.message, /\.$/, `message has no trailing period (${where})`);
  assert.doesNotMatch(match.message, /Effect\b|\bundefined\b|\[object/, `message shows no internals (${where})`);
  assert.ok(match.hint !== undefined && match.hint.length > 0, `every match tells how to proceed (${where})`);
  assert.match(match.hint!, /^[a-zA-Z`]/, where);
  assert.doesNotMatch(match.hint!, /\.$/, `hint has no trailing period (${where})`);
}

function label(example: RuleExample): string {
  return example.note ? `${example.sql} (${example.note})` : example.sql;
}

for (const rule of rules) {
  describe(`rule ${rule.id}`, () => {
    const all = [...rule.examples.match, ...rule.examples.noMatch];
    test('its examples parse', () => {
      for (const example of all) {
        for (const request of buildExampleRequests(example)) {
          assert.equal(request.statement.error, undefined, `${example.sql}: ${request.statement.error?.message}`);
        }
      }
    });
    for (const example of rule.examples.match) {
      test(`matches: ${label(example)}`, () => {
        const matches = runExample(example, rule);
        assert.ok(matches.length > 0, `expected a match for \`${example.sql}\``);
        for (const match of matches) assertWording(rule, match);
      });
    }
    for (const example of rule.examples.noMatch) {
      test(`does not match: ${label(example)}`, () => {
        assert.deepEqual(runExample(example, rule), []);
      });
    }
  });
}

describe('rule metadata', () => {
  test('ids are unique and kebab-case', () => {
    const ids = rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, RULE_ID_PATTERN);
  });

  test('every rule has a summary, rationale, solution and examples both ways', () => {
    for (const rule of rules) {
      assert.ok(rule.summary.length > 10 && !rule.summary.endsWith('.'), `${rule.id}: summary`);
      assert.ok(rule.rationale.length > 40, `${rule.id}: rationale`);
      assert.ok((rule.solution ?? '').length > 10, `${rule.id}: solution`);
      assert.ok(rule.examples.match.length >= 1, `${rule.id}: a match example`);
      assert.ok(rule.examples.noMatch.length >= 1, `${rule.id}: a no-match example`);
      assert.doesNotMatch(JSON.stringify(rule), /TODO/, `${rule.id}: scaffold placeholders left`);
    }
  });

  test('parameter schemas compile, and defaults and example parameters satisfy them', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const rule of rules) {
      const validate = ajv.compile(rule.paramsSchema);
      assert.ok(validate(rule.defaults), `${rule.id} defaults: ${ajv.errorsText(validate.errors)}`);
      for (const example of [...rule.examples.match, ...rule.examples.noMatch]) {
        const params = { ...(rule.defaults as object), ...example.params };
        assert.ok(validate(params), `${rule.id} \`${example.sql}\`: ${ajv.errorsText(validate.errors)}`);
      }
    }
  });

  test('parameter schemas reject unknown keys, so a typo cannot weaken a rule', () => {
    const ajv = new Ajv({ strict: false });
    for (const rule of rules) assert.equal(ajv.validate(rule.paramsSchema, { ...(rule.defaults as object), nosuchparam: 1 }), false, rule.id);
  });
});

describe('registry', () => {
  test('ruleById finds every rule and nothing else', () => {
    for (const rule of rules) assert.equal(ruleById(rule.id), rule);
    assert.equal(ruleById('no-such-rule'), undefined);
    assert.equal(ruleById('NO-DROP'), undefined);
    assert.equal(isRuleId('require-where'), true);
    assert.equal(isRuleId('require_where'), false);
  });

  test('RuleId is the closed list of ids', () => {
    const known: RuleId = 'no-drop';
    // @ts-expect-error an id outside the catalogue is not a RuleId
    const unknown: RuleId = 'no-such-rule';
    assert.ok(isRuleId(known) && !isRuleId(unknown));
  });
});

describe('rule docs', () => {
  test('the committed pages are the generated ones', () => {
    const stale = staleRuleDocs(repositoryRoot(), ruleDocFiles(rules));
    assert.deepEqual(stale, [], 'run `node --import tsx scripts/gen-rule-docs.ts`');
  });

  test('every rule has a page, listed in the index', () => {
    const files = ruleDocFiles(rules);
    const index = files.get('docs/rules/README.md')!;
    for (const rule of rules) {
      const page = files.get(`docs/rules/${rule.id}.md`);
      assert.ok(page?.includes(rule.rationale), rule.id);
      assert.ok(index.includes(`(${rule.id}.md)`), rule.id);
    }
  });
});
