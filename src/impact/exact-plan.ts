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
import type { StatementAnalysis, WriteEffect, WriteOperation } from '../sql/types.js';
import type { SessionContext } from '../policy/types.js';
import type { CatalogSnapshot, RelationEntry } from '../catalog/snapshot.js';
import { writeHazards, type WriteTarget } from './hazards.js';

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

/** What the catalog says about the statement's write targets, for an exact run. */
export interface ExactTargets {
  /** Foreign tables it may write to (any table of the written name, when the name is ambiguous). */
  foreign: string[];
  /**
   * Set when every target resolves to one plain table: whether every changed row must be counted
   * from the transaction's statistics (cascades, triggers, rules, child tables, several writes), and
   * the single target's size for percentages. Unset: the catalog cannot tell (ambiguous or unknown
   * name, a relation of another kind), and the door asks the planner instead.
   */
  facts?: { countAll: boolean; tableRows?: number };
}

export function exactTargets(statement: StatementAnalysis, snapshot: CatalogSnapshot): ExactTargets {
  const writes = statement.effects.filter((e): e is WriteEffect => e.type === 'write' && e.deferred === undefined);
  const resolved = writes.map((w) => ({ write: w, candidates: candidatesFor(snapshot, w) }));
  const foreign = resolved.flatMap(({ candidates }) => candidates.filter((r) => r.kind === 'foreign-table').map((r) => `${r.schema}.${r.name}`));
  if (writes.length === 0 || resolved.some(({ candidates }) => candidates.length !== 1 || candidates[0]!.kind !== 'table')) return { foreign };
  let countAll = writes.length > 1 || writes.some((w) => w.inCte);
  for (const { write, candidates } of resolved) {
    const relation = candidates[0]!;
    const hazards = writeHazards(snapshot, { relation, operation: HAZARD_EVENTS[write.operation], ...(write.columns ? { columns: write.columns } : {}) });
    if (hazards.length > 0 || relation.parent) countAll = true;
  }
  const rows = writes.length === 1 ? resolved[0]!.candidates[0]!.rows : undefined;
  return { foreign, facts: { countAll, ...(rows !== undefined ? { tableRows: rows } : {}) } };
}

/** The events a write fires, as `writeHazards` names them (an upsert may insert or update). */
const HAZARD_EVENTS: Record<WriteOperation, WriteTarget['operation']> = {
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  merge: 'merge',
  upsert: 'merge',
  'copy-from': 'insert',
  'select-into': 'insert',
  'create-table-as': 'insert',
};

function candidatesFor(snapshot: CatalogSnapshot, write: WriteEffect): RelationEntry[] {
  const { schema, name } = write.relation;
  if (schema !== undefined) {
    const oid = snapshot.relationByName.get(`${schema}.${name}`);
    const relation = oid === undefined ? undefined : snapshot.relations.get(oid);
    return relation ? [relation] : [];
  }
  return (snapshot.relationsNamed.get(name) ?? []).flatMap((oid) => snapshot.relations.get(oid) ?? []);
}
