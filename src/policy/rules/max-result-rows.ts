import type { StatementAnalysis } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { effectsOf, hasEffect } from './support.js';

export type MaxResultRowsParams = { rows: number; onExceed: 'error' | 'truncate' };

/** Statements that send rows back: reads of any kind, and writes with RETURNING. */
const ROW_KINDS = new Set(['select', 'show', 'fetch', 'execute', 'explain', 'call', 'copy']);

function returnsRows(statement: StatementAnalysis): boolean {
  if (effectsOf(statement, 'write').some((e) => e.returning === true)) return true;
  if (hasEffect(statement, 'write', 'ddl')) return false;
  return ROW_KINDS.has(statement.kind) || hasEffect(statement, 'read');
}

export const maxResultRows = defineRule({
  id: 'max-result-rows',
  summary: 'Caps the number of rows a statement may return (an obligation on allow)',
  rationale:
    'An unbounded `SELECT * FROM events` can pull a whole table out through one query — a data leak if the actor should see a sample, ' +
    'and a memory and cost problem for an agent that feeds the result into a model. The cap is enforced on the result stream, so it holds for any query shape.',
  solution: 'Add a `LIMIT` (at most the cap), narrow the WHERE clause, or aggregate on the server (`count(*)`, `GROUP BY`) instead of fetching rows.',
  defaultAction: 'allow',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rows: { type: 'integer', minimum: 1, description: 'Most rows a statement may return' },
      onExceed: { enum: ['error', 'truncate'], description: 'Past the cap: fail the statement (`error`), or stop sending rows and say so (`truncate`)' },
    },
  },
  defaults: { rows: 1000, onExceed: 'error' } as MaxResultRowsParams,
  examples: {
    match: [
      { sql: 'SELECT * FROM events' },
      { sql: 'SELECT * FROM events LIMIT 100000' },
      { sql: 'DELETE FROM sessions WHERE expired RETURNING *' },
      { sql: 'SELECT * FROM events LIMIT $1', note: 'a limit that is not a constant does not bound the result' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM events LIMIT 50' },
      { sql: 'CREATE TABLE t (id int)' },
      { sql: 'UPDATE users SET name = $1 WHERE id = $2' },
    ],
  },
  check({ request, params }: RuleContext<MaxResultRowsParams>): RuleMatch[] {
    const { statement } = request;
    if (!returnsRows(statement)) return [];
    const limited = typeof statement.limit === 'number' && statement.limit <= params.rows && !hasEffect(statement, 'write');
    if (limited) return [];
    return [
      {
        message: `the result is capped at ${params.rows} rows`,
        hint:
          params.onExceed === 'error'
            ? `add \`LIMIT ${params.rows}\` or narrow the WHERE clause; a larger result fails`
            : `rows past the first ${params.rows} are not sent: add a LIMIT or narrow the WHERE clause to see the ones you need`,
        obligations: { maxResultRows: { rows: params.rows, onExceed: params.onExceed } },
      },
    ];
  },
});
