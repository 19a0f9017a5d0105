import type { StatementAnalysis, WriteEffect } from '../../sql/types.js';
import type { Action } from '../types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, relationText, writeKeyword } from './support.js';

export type MaxAffectedRowsParams = {
  rows: number | null;
  percent?: number;
  mode: 'estimate' | 'exact';
  onUnknown: Extract<Action, 'deny' | 'review'>;
};

/**
 * The writes whose size is not visible in the text: UPDATE, DELETE, MERGE and upserts always;
 * INSERT only when its rows come from a query (reads, or set-returning calls outside VALUES).
 * Writes deferred to later (a PREPARE body, a function body) are sized when they run, not now.
 */
function sizedWrites(statement: StatementAnalysis): WriteEffect[] {
  const fromQuery =
    effectsOf(statement, 'read').length > 0 ||
    effectsOf(statement, 'function').some((f) => f.clause !== 'values' && f.clause !== 'default');
  return effectsOf(statement, 'write').filter(
    (w) => w.deferred === undefined && (['update', 'delete', 'merge', 'upsert'].includes(w.operation) || (w.operation === 'insert' && fromQuery)),
  );
}

export const maxAffectedRows = defineRule({
  id: 'max-affected-rows',
  summary: 'Limits how many rows one UPDATE, DELETE, MERGE, upsert or INSERT … SELECT may touch',
  rationale:
    'A WHERE clause can be present and still far too wide (`WHERE created_at < now()`). ' +
    'An impact figure — an estimate from the planner or an exact count from a dry run — shows the size of a bulk change before it runs. ' +
    'When the figure is unknown the rule escalates (deny or review); an unknown figure never counts as zero.',
  solution:
    'Narrow the WHERE clause, or split the change into batches below the limit (e.g. by primary-key ranges). ' +
    'A change that must touch more rows goes through approval.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rows: { type: ['integer', 'null'], minimum: 0, description: 'Most rows one statement may affect; `null` turns the row-count limit off' },
      percent: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'Most rows one statement may affect, as a percentage of the table' },
      mode: { enum: ['estimate', 'exact'], description: 'Figure to ask for: a planner estimate, or an exact count from a dry run; an estimate where `exact` is asked counts as unknown' },
      onUnknown: { enum: ['deny', 'review'], description: 'Action when the figure (or the table size a percentage needs) is unknown' },
    },
  },
  defaults: { rows: 1000, mode: 'estimate', onUnknown: 'deny' } as MaxAffectedRowsParams,
  needsImpact(request) {
    return sizedWrites(request.statement).length > 0;
  },
  standingObligations(params: MaxAffectedRowsParams) {
    const limit = { mode: params.mode, onUnknown: params.onUnknown };
    return {
      maxAffectedRows: { ...limit, ...(params.rows !== null ? { rows: params.rows } : {}), ...(params.percent !== undefined ? { percent: params.percent } : {}) },
    };
  },
  examples: {
    match: [
      { sql: "DELETE FROM events WHERE created_at < now() - interval '1 day'", impact: { rows: 250000 } },
      { sql: 'UPDATE users SET plan = 1 WHERE plan = 0', impact: { rows: 'unknown' }, note: 'unknown figure escalates' },
      { sql: 'UPDATE users SET plan = 1 WHERE plan = 0', note: 'no figure at all escalates too' },
      { sql: 'DELETE FROM users WHERE active = false', params: { rows: null, percent: 10 }, impact: { rows: 300, tableRows: 1000 } },
      { sql: 'DELETE FROM users WHERE active = false', params: { rows: null, percent: 10 }, impact: { rows: 3 }, note: 'table size unknown' },
      { sql: 'INSERT INTO archive SELECT * FROM events', impact: { rows: 5000 } },
      { sql: 'DELETE FROM users WHERE id < 100', params: { mode: 'exact' }, impact: { rows: 99, mode: 'estimate' }, note: 'an estimate where an exact count is asked' },
    ],
    noMatch: [
      { sql: 'DELETE FROM users WHERE id = 42', impact: { rows: 1, mode: 'exact' } },
      { sql: 'INSERT INTO users (id, name) VALUES (1, $1)', note: 'VALUES: the size is in the text, no figure needed' },
      { sql: 'SELECT * FROM users' },
      { sql: 'DELETE FROM users WHERE active = false', params: { rows: null, percent: 10 }, impact: { rows: 50, tableRows: 1000 } },
    ],
  },
  check({ request, params }: RuleContext<MaxAffectedRowsParams>): RuleMatch[] {
    const write = sizedWrites(request.statement)[0];
    if (write === undefined) return [];
    const subject = `the ${code(writeKeyword(write.operation))} on ${code(relationText(write.relation))}`;
    const impact = request.impact;
    const unknown = (why: string): RuleMatch[] => [
      {
        message: `${subject} cannot be sized: ${why}`,
        hint: 'narrow the WHERE clause to a range the planner can estimate (e.g. by primary key), or ask for approval',
        action: params.onUnknown,
      },
    ];
    if (impact === undefined) return unknown('no impact figure was available');
    if (impact.rows === 'unknown') return unknown(impact.error === undefined ? 'the impact figure is unknown' : `the impact figure is unknown (${impact.error})`);
    if (params.mode === 'exact' && impact.mode !== 'exact') return unknown('an exact count was asked for but only an estimate is available');

    const about = impact.mode === 'estimate' ? 'about ' : '';
    const hint = 'narrow the WHERE clause, split the change into smaller batches, or ask for approval';
    if (params.rows !== null && impact.rows > params.rows) {
      return [{ message: `${subject} would affect ${about}${impact.rows} rows, more than the limit of ${params.rows}`, hint }];
    }
    if (params.percent !== undefined) {
      if (impact.tableRows === undefined) return unknown('the size of the table is unknown, so the share of rows affected cannot be checked');
      // A table the statistics call empty yet with rows to change has stale statistics: count it as all of it.
      const share = impact.tableRows > 0 ? (impact.rows / impact.tableRows) * 100 : impact.rows > 0 ? 100 : 0;
      if (share > params.percent) {
        return [{ message: `${subject} would affect ${about}${impact.rows} of ${impact.tableRows} rows (${share.toFixed(1)}%), more than the limit of ${params.percent}%`, hint }];
      }
    }
    return [];
  },
});
