import type { StatementAnalysis } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { changesData, code, effectsOf, kindText } from './support.js';

export type RequireReasonParams = { tag: string; minLength: number };

const SERVER_SETTINGS = new Set(['alter-system', 'alter-role-set', 'alter-database-set']);

/** Writes, schema and privilege changes, and server-wide setting changes: what a reviewer later asks "why?" about. */
function changes(statement: StatementAnalysis): boolean {
  return changesData(statement) || effectsOf(statement, 'config').some((e) => SERVER_SETTINGS.has(e.operation));
}

export const requireReason = defineRule({
  id: 'require-reason',
  summary: 'Requires writes, schema and privilege changes to state a reason in a sqlcommenter tag',
  rationale:
    'An audit trail says who changed what and when; only the person or agent making the change can say why. ' +
    'Asking for a `reason` tag (`/* reason=\'…\' */`, the sqlcommenter format many ORMs and agent frameworks already emit) puts the why next to the change in the audit trail and the lineage, ' +
    'and makes an agent state its intent before it acts. The tag is context, never a right: it does not lift any other rule.',
  solution: "Add a comment to the statement: `UPDATE accounts SET … WHERE id = 7 /* reason='refund for ticket 4711' */`.",
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tag: { type: 'string', minLength: 1, description: 'Name of the sqlcommenter tag that carries the reason' },
      minLength: { type: 'integer', minimum: 1, description: 'Fewest characters a reason must have' },
    },
  },
  defaults: { tag: 'reason', minLength: 1 } as RequireReasonParams,
  examples: {
    match: [
      { sql: 'UPDATE accounts SET balance = balance + 10 WHERE id = 7' },
      { sql: 'DROP INDEX users_email_idx' },
      { sql: "DELETE FROM users WHERE id = 1 /* ticket='123' */", note: 'another tag is no reason' },
      { sql: "GRANT SELECT ON users TO bob /* reason='x' */", params: { minLength: 10 } },
    ],
    noMatch: [
      { sql: "UPDATE accounts SET balance = balance + 10 WHERE id = 7 /* reason='refund%20for%20ticket%204711' */" },
      { sql: 'SELECT * FROM accounts' },
      { sql: "INSERT INTO notes (body) VALUES ('x') /* why='import' */", params: { tag: 'why' } },
    ],
  },
  check({ request, params }: RuleContext<RequireReasonParams>): RuleMatch[] {
    const { statement } = request;
    if (!changes(statement)) return [];
    const reason = statement.tags[params.tag]?.trim() ?? '';
    if (reason.length >= params.minLength) return [];
    const example = `/* ${params.tag}='…' */`;
    const message =
      reason === ''
        ? `the ${code(kindText(statement))} states no reason (a ${code(params.tag)} tag)`
        : `the reason given for the ${code(kindText(statement))} is shorter than ${params.minLength} characters`;
    return [{ message, hint: `say why in a comment on the statement, e.g. \`${example}\`` }];
  },
});
