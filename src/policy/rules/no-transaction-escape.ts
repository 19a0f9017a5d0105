import type { ConfigEffect, TransactionOperation } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoTransactionEscapeParams = Record<string, never>;

const ENDS: Partial<Record<TransactionOperation, string>> = { commit: 'COMMIT', rollback: 'ROLLBACK' };
const TWO_PHASE: Partial<Record<TransactionOperation, string>> = {
  'prepare-transaction': 'PREPARE TRANSACTION',
  'commit-prepared': 'COMMIT PREPARED',
  'rollback-prepared': 'ROLLBACK PREPARED',
};

/** A value that keeps (or makes) the transaction read-only. */
function staysReadOnly(effect: ConfigEffect): boolean {
  if (effect.operation.startsWith('reset') || effect.value === undefined) return false;
  return ['on', 'true', '1', 'yes', 'read only'].includes(effect.value.trim().toLowerCase().replace(/\s+/g, ' '));
}

const HINT = 'this actor runs in a read-only transaction: send reads only, one transaction control statement per message, and ask for approval to write';

export const noTransactionEscape = defineRule({
  id: 'no-transaction-escape',
  summary: 'For read-only actors: blocks ways out of the read-only transaction — stacked COMMIT/ROLLBACK, READ WRITE, default_transaction_read_only',
  rationale:
    'Read-only actors also run inside a read-only transaction upstream, so that a write the analysis missed still fails. ' +
    '`COMMIT; DELETE …` in one message ends that transaction and runs the rest outside it; `SET TRANSACTION READ WRITE`, `BEGIN READ WRITE`, ' +
    '`SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE` and changes of `default_transaction_read_only` switch the protection off. Two-phase commit commands act on other transactions.',
  solution:
    'Send reads only. Transaction control on its own (`BEGIN`, `COMMIT`, `ROLLBACK` as separate messages) is fine; stacked in front of other statements it is not.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoTransactionEscapeParams,
  examples: {
    match: [
      { sql: 'COMMIT; DELETE FROM users WHERE id = 1', note: 'COMMIT stacked in front of a write' },
      { sql: 'SELECT 1; COMMIT; SELECT 2' },
      { sql: 'SELECT 1; END' },
      { sql: 'SET TRANSACTION READ WRITE' },
      { sql: 'BEGIN READ WRITE' },
      { sql: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE' },
      { sql: 'SET default_transaction_read_only = off' },
      { sql: "SELECT set_config('transaction_read_only', 'off', false)" },
      { sql: "PREPARE TRANSACTION 'escape'" },
    ],
    noMatch: [
      { sql: 'COMMIT', note: 'on its own' },
      { sql: 'ROLLBACK' },
      { sql: 'COMMIT AND CHAIN', note: 'the chained transaction keeps READ ONLY' },
      { sql: 'BEGIN READ ONLY' },
      { sql: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' },
      { sql: 'SET default_transaction_read_only = on' },
      { sql: 'SELECT * FROM users' },
    ],
  },
  check({ request }: RuleContext<NoTransactionEscapeParams>): RuleMatch[] {
    const { statement } = request;
    // Stacked: other statements share the message. Without a count only those after the first are known to be.
    const stacked = statement.index > 0 || (request.statementCount ?? 1) > 1;
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(statement, 'transaction')) {
      const end = ENDS[effect.operation];
      const twoPhase = TWO_PHASE[effect.operation];
      if (end !== undefined && stacked) {
        matches.push({ message: `the statement ends the transaction with ${code(end)} with other statements in the same message${origin(effect)}`, hint: HINT });
      } else if (twoPhase !== undefined) {
        matches.push({ message: `the statement uses two-phase commit (${code(twoPhase)})${origin(effect)}`, hint: HINT });
      } else if ((effect.operation === 'begin' || effect.operation === 'start') && effect.readOnly === false) {
        matches.push({ message: `the statement starts a read-write transaction${origin(effect)}`, hint: HINT });
      }
    }
    for (const effect of effectsOf(statement, 'config')) {
      if (effect.operation === 'reset-all') {
        matches.push({ message: 'the statement resets `default_transaction_read_only` with `RESET ALL`', hint: HINT });
      } else if ((effect.safety ?? []).includes('read-only') && !staysReadOnly(effect)) {
        const what = effect.name === undefined ? 'the transaction to read-write' : `${code(effect.name)}${effect.value === undefined ? '' : ` to ${code(effect.value)}`}`;
        matches.push({ message: `the statement ${effect.operation.startsWith('reset') ? 'resets' : 'sets'} ${what}${origin(effect)}`, hint: HINT });
      }
    }
    if (effectsOf(statement, 'session').some((s) => s.operation === 'discard-all')) {
      matches.push({ message: 'the statement resets `default_transaction_read_only` with `DISCARD ALL`', hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
