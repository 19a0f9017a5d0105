import type { StatementAnalysis } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { whyNotReadOnly } from './support.js';

export type ReadOnlyParams = Record<string, never>;

/** Operations that start, end or mark a transaction without changing data or escaping READ ONLY. */
const PLAIN_CONTROL = new Set(['begin', 'start', 'commit', 'rollback', 'savepoint', 'release', 'rollback-to']);

/**
 * What PostgreSQL itself allows in a READ ONLY transaction without changing data: transaction
 * control (a read-only actor's transaction holds no writes to commit, and drivers send BEGIN and
 * COMMIT on their own) and session settings that flip no safety switch (`SET TIME ZONE`,
 * `SET extra_float_digits`). Which settings an actor may change is `no-config-change`'s to judge,
 * and ways out of READ ONLY `no-transaction-escape`'s.
 */
function changesNoData(statement: StatementAnalysis): boolean {
  return (
    statement.effects.length > 0 &&
    statement.effects.every(
      (e) =>
        (e.type === 'transaction' && PLAIN_CONTROL.has(e.operation) && e.readOnly !== false) ||
        (e.type === 'config' && (e.operation === 'set' || e.operation === 'reset') && (e.scope === 'session' || e.scope === 'local') && e.safety === undefined),
    )
  );
}

export const readOnly = defineRule({
  id: 'read-only',
  summary: 'Allows only statements that are shown to be read-only',
  rationale:
    'An actor meant to look at data — a reporting agent, an analyst, a support tool — should not be able to change it, whatever SQL it is given or talked into. ' +
    'Only statements the analysis shows to be read-only pass; a statement whose effects cannot be known (opaque dynamic SQL, a user function) is treated as a write. ' +
    'The rule also asks the door to run the actor in a read-only transaction, so a missed write still fails upstream. ' +
    'What PostgreSQL allows inside a READ ONLY transaction without changing data passes: transaction control (BEGIN, COMMIT, ROLLBACK, savepoints) and session settings ' +
    'that flip no safety switch (`SET TIME ZONE`, `SET extra_float_digits`) — drivers send them on their own. Pair the rule with `no-config-change` and `no-transaction-escape`, ' +
    'which judge which settings may change and the ways out of READ ONLY.',
  solution:
    'Run only reads (SELECT, SHOW, EXPLAIN without ANALYZE). To call a function of your own, have it declared safe in the catalog, or ask for approval. ' +
    'A change of data belongs to an actor allowed to write.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as ReadOnlyParams,
  standingObligations: () => ({ readOnly: true }),
  examples: {
    match: [
      { sql: "UPDATE users SET name = 'x' WHERE id = 1" },
      { sql: 'WITH d AS (DELETE FROM users WHERE id = 1 RETURNING id) SELECT * FROM d', note: 'writable CTE' },
      { sql: 'EXPLAIN ANALYZE DELETE FROM users WHERE id = 1' },
      { sql: 'SELECT my_func()', note: 'a user function may write: unknown is not read-only' },
      { sql: 'CREATE TABLE t (id int)' },
      { sql: "SELECT nextval('orders_id_seq')" },
      { sql: 'BEGIN READ WRITE' },
      { sql: 'SET default_transaction_read_only = off', note: 'a safety switch is not a plain setting' },
      { sql: 'SET ROLE admin' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users WHERE id = 1' },
      { sql: 'EXPLAIN DELETE FROM users', note: 'plain EXPLAIN does not run the delete' },
      { sql: "SELECT lower(name), now() FROM users" },
      { sql: 'COMMIT', note: 'transaction control on its own commits no writes of a read-only actor' },
      { sql: "SET TIME ZONE 'UTC'", note: 'a session setting changes no data' },
    ],
  },
  check({ request }: RuleContext<ReadOnlyParams>): RuleMatch[] {
    const { statement } = request;
    if (statement.readOnly === true || changesNoData(statement)) return [];
    const hint = 'this actor may only read: run a SELECT, or ask for approval';
    return statement.readOnly === 'unknown'
      ? [{ message: `the statement cannot be shown to be read-only: ${whyNotReadOnly(statement)}`, hint }]
      : [{ message: `the statement is not read-only: ${whyNotReadOnly(statement)}`, hint }];
  },
});
