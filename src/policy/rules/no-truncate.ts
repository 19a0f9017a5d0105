import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoTruncateParams = Record<string, never>;

export const noTruncate = defineRule({
  id: 'no-truncate',
  summary: 'Blocks TRUNCATE, which empties whole tables at once',
  rationale:
    'TRUNCATE removes every row of a table without scanning it, fires no row triggers and, with CASCADE, empties every table that references it. ' +
    'It is the fastest way to lose a table of data, and a row-count guard never sees it coming.',
  solution: 'Delete the rows you mean with `DELETE … WHERE …`, run the truncate as a reviewed migration, or ask for approval.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoTruncateParams,
  examples: {
    match: [
      { sql: 'TRUNCATE users' },
      { sql: 'TRUNCATE TABLE public.orders, public.order_items RESTART IDENTITY CASCADE' },
    ],
    noMatch: [
      { sql: 'DELETE FROM users WHERE id = 1' },
      { sql: "SELECT 'truncate users'" },
    ],
  },
  check({ request }: RuleContext<NoTruncateParams>): RuleMatch[] {
    return uniqueMatches(
      effectsOf(request.statement, 'ddl')
        .filter((effect) => effect.operation === 'truncate')
        .map((effect) => ({
          message: `the statement truncates ${effect.names.map(code).join(', ')}${effect.cascade ? ' with CASCADE' : ''}${origin(effect)}`,
          hint: 'delete only the rows you mean with a WHERE clause, or ask for approval',
        })),
    );
  },
});
