/**
 * What a statement that ran does to the session facts the catalog resolves names with (its search
 * path and role), and whether it changed the catalog itself (DDL) — read from the analysis. The door
 * calls `noteStatementRan` after each statement completes without error.
 */
import type { StatementAnalysis } from '../sql/types.js';
import type { SearchPathTracker } from './search-path.js';

export interface RanContext {
  /** The statement ran inside a transaction block (it may still be rolled back). */
  inTransactionBlock: boolean;
}

/** Updates the tracker from a statement that completed; returns whether the catalog must be reloaded (DDL ran). */
export function noteStatementRan(tracker: SearchPathTracker, statement: StatementAnalysis, context: RanContext): { ddl: boolean } {
  let ddl = false;
  for (const effect of statement.effects) {
    if (effect.deferred !== undefined) continue;
    switch (effect.type) {
      case 'ddl':
        ddl = true;
        break;
      case 'write':
        // CREATE TABLE AS / SELECT INTO create a relation as well.
        if (effect.operation === 'create-table-as' || effect.operation === 'select-into') ddl = true;
        break;
      case 'config': {
        const all = effect.operation === 'reset-all';
        if (!all && effect.name !== 'search_path') break;
        const revertible = context.inTransactionBlock || effect.scope === 'local' || effect.scope === 'transaction';
        if (effect.operation === 'reset' || all) tracker.changed({ kind: 'reset', revertible });
        else if ((effect.operation === 'set' || effect.operation === 'set-config') && effect.value !== undefined && effect.scope !== undefined) {
          tracker.changed({ kind: 'set', value: effect.value, revertible });
        } else tracker.changed({ kind: 'unknown', revertible });
        break;
      }
      case 'session':
        if (effect.operation === 'discard-all') tracker.changed({ kind: 'reset', revertible: context.inTransactionBlock });
        break;
      case 'privilege':
        // RESET ROLE returns to the session's role, which the tracker already counts.
        if (effect.operation === 'set-role' || effect.operation === 'set-session-authorization') tracker.roleChanged(effect.targets[0]);
        break;
      case 'dynamic-sql':
        // A DO block or function body could SET anything or create anything.
        tracker.changed({ kind: 'unknown', revertible: true });
        ddl = true;
        break;
    }
  }
  return { ddl };
}
