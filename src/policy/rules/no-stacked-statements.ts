import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';

export type NoStackedStatementsParams = Record<string, never>;

export const noStackedStatements = defineRule({
  id: 'no-stacked-statements',
  summary: 'Blocks messages that stack several statements (`SELECT …; UPDATE …`) — one statement per message',
  rationale:
    'A simple-protocol message may hold many statements, and a harmless first one can carry anything behind it: `SELECT 1; UPDATE users SET admin = true WHERE id = 7`. ' +
    'Each statement is still judged on its own, but stacking is how injected SQL rides along with a legitimate query, and it lets a `COMMIT` end a protective transaction in the middle of a message. ' +
    'Drivers with parameters (the extended protocol) send one statement per message anyway.',
  solution: 'Send one statement per message (one `query` call each), or use your driver\'s parameterised queries.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoStackedStatementsParams,
  examples: {
    match: [
      { sql: 'SELECT * FROM users WHERE id = 1; UPDATE users SET admin = true WHERE id = 1' },
      { sql: 'COMMIT; SELECT 1' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users WHERE id = 1' },
      { sql: "SELECT 'a; b'", note: 'a semicolon in a string is not a second statement' },
    ],
  },
  check({ request }: RuleContext<NoStackedStatementsParams>): RuleMatch[] {
    // Without a count, a statement after the first still shows that the message holds more than one.
    const count = request.statementCount ?? request.statement.index + 1;
    if (count <= 1) return [];
    return [
      {
        message: `the message holds ${request.statementCount ?? 'several'} statements; this is statement ${request.statement.index + 1}`,
        hint: 'send one statement per message',
      },
    ];
  },
});
