/**
 * Behaviour of the built-in rules beyond their examples: what they ask of the engine (impact
 * figures, obligations, escalation), and that no rule throws on any statement of the PostgreSQL
 * regression corpus.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, initParser } from '../../src/sql/index.js';
import type { RuleDefinition, RuleExample } from '../../src/policy/rule.js';
import { builtinRules, ruleById } from '../../src/policy/rules/index.js';
import { buildExampleRequest, buildExampleRequests, exampleParams, runExample } from '../../src/policy/rules/example-request.js';
import { corpusFiles, readCorpusFile, splitPsqlScript } from '../support/corpus.js';

before(async () => {
  await initParser();
});

function rule(id: string): RuleDefinition {
  const found = ruleById(id);
  assert.ok(found, id);
  return found;
}

function needsImpact(id: string, example: RuleExample): boolean {
  const r = rule(id);
  return buildExampleRequests(example).some((request) => r.needsImpact?.(request, exampleParams(example, r)) === true);
}

describe('max-affected-rows', () => {
  test('asks for an impact figure exactly for writes whose size is not in the text', () => {
    for (const sql of ['UPDATE t SET a = 1 WHERE b = 2', 'DELETE FROM t WHERE a > 1', 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'INSERT INTO t SELECT * FROM s', 'INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2', 'WITH d AS (DELETE FROM t WHERE a = 1 RETURNING *) SELECT * FROM d', 'EXPLAIN ANALYZE UPDATE t SET a = 1 WHERE b = 2', 'DO $$ BEGIN DELETE FROM t WHERE a = 1; END $$']) {
      assert.equal(needsImpact('max-affected-rows', { sql }), true, sql);
    }
    for (const sql of ['SELECT * FROM t', 'INSERT INTO t (a) VALUES (1), (2)', 'CREATE TABLE t (a int)', 'SET search_path = x', 'PREPARE p AS DELETE FROM t WHERE a = $1', 'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM t WHERE a = 1 $$']) {
      assert.equal(needsImpact('max-affected-rows', { sql }), false, sql);
    }
  });

  test('an unknown or missing figure escalates with the configured action, never as zero rows', () => {
    const r = rule('max-affected-rows');
    for (const impact of [undefined, { rows: 'unknown' as const }]) {
      for (const onUnknown of ['deny', 'review'] as const) {
        const matches = runExample({ sql: 'DELETE FROM t WHERE a = 1', params: { onUnknown }, ...(impact ? { impact } : {}) }, r);
        assert.equal(matches.length, 1);
        assert.equal(matches[0]!.action, onUnknown);
      }
    }
  });

  test('a figure over the limit takes the rule\'s own action; at the limit it passes', () => {
    const r = rule('max-affected-rows');
    const over = runExample({ sql: 'DELETE FROM t WHERE a = 1', params: { rows: 10 }, impact: { rows: 11 } }, r);
    assert.equal(over.length, 1);
    assert.equal(over[0]!.action, undefined);
    assert.deepEqual(runExample({ sql: 'DELETE FROM t WHERE a = 1', params: { rows: 10 }, impact: { rows: 10 } }, r), []);
  });

  test('stale statistics (an empty table with rows to change) count as the whole table', () => {
    const r = rule('max-affected-rows');
    assert.equal(runExample({ sql: 'DELETE FROM t WHERE a = 1', params: { rows: null, percent: 50 }, impact: { rows: 5, tableRows: 0 } }, r).length, 1);
  });

  test('places the limit on every statement as an obligation', () => {
    const r = rule('max-affected-rows');
    assert.deepEqual(r.standingObligations?.({ ...(r.defaults as object), percent: 5 }), {
      maxAffectedRows: { rows: 1000, percent: 5, mode: 'estimate', onUnknown: 'deny' },
    });
  });
});

describe('obligations', () => {
  test('read-only asks for a read-only transaction on every statement', () => {
    assert.deepEqual(rule('read-only').standingObligations?.({}), { readOnly: true });
  });

  test('max-result-rows carries the cap and what happens past it', () => {
    const [match] = runExample({ sql: 'SELECT * FROM events', params: { rows: 20, onExceed: 'truncate' } }, rule('max-result-rows'));
    assert.deepEqual(match?.obligations, { maxResultRows: { rows: 20, onExceed: 'truncate' } });
  });

  test('mask-columns carries the tags, the columns it found, the style and what to keep', () => {
    const [match] = runExample(
      {
        sql: 'SELECT id, email, phone FROM users',
        params: { tags: ['pii'], columns: ['public.users.phone'], style: 'partial', keep: 4 },
        relations: { 'public.users': { columnTags: { email: ['pii'], name: ['pii'] } } },
      },
      rule('mask-columns'),
    );
    assert.deepEqual(match?.obligations, {
      mask: [{ tags: ['pii'], columns: ['public.users.phone', 'public.users.email'], style: 'partial', keep: 4 }],
    });
  });
});

describe('no-sensitive-parameters', () => {
  const r = () => rule('no-sensitive-parameters');
  test('a NULL bound value is accepted; a pinned setting never is', () => {
    assert.deepEqual(runExample({ sql: 'SELECT set_config($1, $2, false)', parameters: [null, null] }, r()), []);
    const pinned = runExample({ sql: 'SELECT set_config($1, $2, false)', parameters: ['Standard_Conforming_Strings', 'off'], params: { acceptable: { config: ['standard_conforming_strings', 'off'] } } }, r());
    assert.deepEqual(pinned.map((m) => m.message.slice(0, 4)), ['`$1`']);
  });

  test('too few bound values count as unknown', () => {
    assert.equal(runExample({ sql: 'SELECT pg_read_file($1)', parameters: [] }, r()).length, 1);
  });
});

describe('no-transaction-escape', () => {
  const flagged = (sql: string, count: number | undefined) => {
    const r = rule('no-transaction-escape');
    return analyze(sql).statements.map((s) => {
      const request = buildExampleRequest({ sql }, s);
      if (count === undefined) delete request.statementCount;
      else request.statementCount = count;
      return r.check({ request, params: {} }).length > 0;
    });
  };

  test('a transaction end is an escape when other statements share its message', () => {
    assert.deepEqual(flagged('COMMIT; DELETE FROM t WHERE a = 1', 2), [true, false]);
    assert.deepEqual(flagged('SELECT 1; ROLLBACK', 2), [false, true]);
    assert.deepEqual(flagged('COMMIT', 1), [false]);
  });

  test('without a statement count, a transaction end after the first statement is still seen', () => {
    assert.deepEqual(flagged('SELECT 1; COMMIT', undefined), [false, true]);
  });
});

describe('every rule on the regression corpus', () => {
  const files = corpusFiles();
  test('no rule throws, and every match is worded for a person', { skip: files.length === 0 ? 'corpus not present' : false }, () => {
    let statements = 0;
    for (const file of files) {
      for (const unit of splitPsqlScript(readCorpusFile(file))) {
        for (const request of buildExampleRequests({ sql: unit.text, parameters: ['x'] })) {
          statements++;
          for (const definition of builtinRules as readonly RuleDefinition[]) {
            const params = definition.defaults;
            let matches;
            try {
              definition.needsImpact?.(request, params);
              matches = definition.check({ request, params });
            } catch (error) {
              assert.fail(`${definition.id} threw on ${file.name}: ${unit.text.slice(0, 200)}\n${String(error)}`);
            }
            for (const m of matches) {
              assert.match(m.message, /^[a-z`]/, `${definition.id}: ${m.message}`);
              assert.doesNotMatch(m.message, /\.$|\bundefined\b|\[object/, `${definition.id}: ${m.message}`);
            }
          }
        }
      }
    }
    assert.ok(statements > 1000, `${statements} statements`);
  });
});
