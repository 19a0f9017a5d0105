/**
 * Whether a write may be counted exactly — run for real inside a savepoint (or a transaction Parapet
 * opens) and kept or rolled back on its count. Pure. Exact mode is refused, and the figure is then
 * unknown (the rule escalates), where the run could not be undone or could not be isolated:
 *   - the message is not a simple Query holding just this statement (a savepoint cannot go between
 *     the statements of one message; the extended protocol is not supported yet, see
 *     docs/proxy-live-guards.md), or the statement is the body of a prepared statement it EXECUTEs;
 *   - the transaction is already aborted;
 *   - the statement calls functions whose effects are not transactional or not known — sequences
 *     (`nextval`, `setval`), advisory locks, notifications to other systems, server files, large
 *     objects, dblink, dynamic SQL, user functions — or has external effects (COPY … PROGRAM);
 *   - it controls the transaction itself, or writes to a foreign table (the remote side may not roll back).
 * Not refused, and documented: column defaults that draw from a sequence (serial, identity) keep the
 * values they drew when the write is rolled back, as after any failed INSERT.
 */
import type { StatementAnalysis } from '../sql/types.js';
import type { SessionContext } from '../policy/types.js';

/** The client message the statement arrived in. */
export interface MessageShape {
  protocol: 'simple' | 'extended';
  /** Statements in the message (a simple Query may hold several); unknown: refused. */
  statements?: number;
  /** The message's text, when the door knows it: the statement must be in it (not a prepared body it EXECUTEs). */
  sql?: string;
}

const UNDOABLE_CLASSES = new Set(['safe']);

/** Why exact mode cannot run this statement, or undefined when it can. */
export function exactRefusal(statement: StatementAnalysis, session: SessionContext, message: MessageShape | undefined, foreignTargets: readonly string[] = []): string | undefined {
  if (!message || message.protocol !== 'simple') return 'an exact count needs the statement sent as a simple query (the extended protocol is not supported for exact counts)';
  if (message.statements !== 1) return 'an exact count cannot be taken for one statement among several in a message: send it on its own';
  if (message.sql !== undefined && message.sql.slice(statement.start, statement.end) !== statement.sql) {
    return 'an exact count needs the write itself in the message (the EXECUTE of a prepared write is not counted)';
  }
  if (session.transaction === 'failed') return 'the transaction is aborted';
  const reasons = new Set<string>();
  for (const effect of statement.effects) {
    if (effect.deferred !== undefined) continue;
    switch (effect.type) {
      case 'function':
        if (!UNDOABLE_CLASSES.has(effect.class)) reasons.add(`it calls \`${effect.name}()\`, whose effects a rollback may not undo`);
        break;
      case 'dynamic-sql':
        reasons.add('it runs dynamic SQL');
        break;
      case 'external':
        reasons.add('it reaches outside the database');
        break;
      case 'transaction':
        reasons.add('it controls the transaction');
        break;
      case 'ddl':
      case 'privilege':
      case 'config':
        reasons.add(`it is not a plain row change (${effect.type})`);
        break;
    }
  }
  for (const target of foreignTargets) reasons.add(`it writes to the foreign table \`${target}\``);
  return reasons.size ? `exact counting is not safe here: ${[...reasons].join('; ')}` : undefined;
}
