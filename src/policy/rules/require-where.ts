import type { WriteOperation } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, relationText, uniqueMatches, writeKeyword } from './support.js';

export type RequireWhereParams = { operations: ('update' | 'delete' | 'merge')[] };

export const requireWhere = defineRule({
  id: 'require-where',
  summary: 'Blocks UPDATE, DELETE and MERGE without a WHERE clause, or with one that is always true',
  rationale:
    'An UPDATE or DELETE without a WHERE clause touches every row of the table — the classic "forgot the WHERE" outage. ' +
    'A condition that is always true (`WHERE 1=1`, `WHERE true`, `id = id`, `x OR true`) is the same thing in disguise, ' +
    'and so is a writable CTE hidden inside a SELECT or a MERGE whose join condition is always true.',
  solution:
    'Add a WHERE clause that selects only the rows to change, e.g. `WHERE id = 42`. ' +
    'If every row really must change, run it as a reviewed migration or ask for approval.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      operations: {
        type: 'array',
        items: { enum: ['update', 'delete', 'merge'] },
        description: 'Which operations need a WHERE clause',
      },
    },
  },
  defaults: { operations: ['update', 'delete', 'merge'] } as RequireWhereParams,
  examples: {
    match: [
      { sql: 'DELETE FROM users' },
      { sql: "UPDATE accounts SET balance = 0" },
      { sql: 'DELETE FROM users WHERE 1 = 1' },
      { sql: "UPDATE users SET email = 'x' WHERE id = id" },
      { sql: 'DELETE FROM sessions WHERE expired OR true' },
      { sql: 'WITH gone AS (DELETE FROM audit_log RETURNING *) SELECT count(*) FROM gone', note: 'writable CTE' },
      { sql: 'MERGE INTO accounts a USING staging s ON true WHEN MATCHED THEN DELETE', note: 'join condition always true' },
    ],
    noMatch: [
      { sql: 'DELETE FROM users WHERE id = 42' },
      { sql: "UPDATE users SET name = 'x' WHERE id = $1" },
      { sql: 'MERGE INTO accounts a USING staging s ON a.id = s.id WHEN MATCHED THEN UPDATE SET balance = s.balance' },
      { sql: 'INSERT INTO users (id) VALUES (1)' },
      { sql: 'DELETE FROM users', params: { operations: ['update'] }, note: 'only UPDATE needs a WHERE' },
    ],
  },
  check({ request, params }: RuleContext<RequireWhereParams>): RuleMatch[] {
    const checked: readonly WriteOperation[] = params.operations;
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'write')) {
      if (!checked.includes(effect.operation)) continue;
      const where = effect.where ?? 'none';
      if (where === 'present') continue;
      const subject = `the ${code(writeKeyword(effect.operation))} on ${code(relationText(effect.relation))}${effect.inCte ? ' in a WITH clause' : ''}${origin(effect)}`;
      const merge = effect.operation === 'merge';
      const clause = merge ? 'join condition' : 'WHERE clause';
      matches.push({
        message: where === 'none' ? `${subject} has no ${clause} and would change every row` : `${subject} has a ${clause} that is always true`,
        hint: `add a ${clause} that selects only the rows to change, e.g. ${merge ? '`ON t.id = s.id`' : '`WHERE id = …`'}`,
      });
    }
    return uniqueMatches(matches);
  },
});
