/**
 * Builds the audit input for a decision from what every door already has: the decision request
 * and the decision. The statement text goes in raw; the trail redacts it per config before it is
 * written, so no door has to remember to.
 */
import type { Actor, Decision, SessionContext } from '../policy/types.js';
import type { Effect, RelationName, StatementAnalysis } from '../sql/types.js';
import type { AuditActor, AuditInput, Door, WrittenTable } from './record.js';

export interface DecisionContext {
  session: string;
  door: Door;
  actor: Actor;
  context: SessionContext;
  statement: StatementAnalysis;
  decision: Decision;
  /** Bound parameters (extended protocol); the trail keeps them only with `redact: none`. */
  parameters?: (string | null)[];
}

export function auditActor(actor: Actor): AuditActor {
  const out: AuditActor = { name: actor.name, kind: actor.kind, groups: [...actor.groups] };
  if (Object.keys(actor.attributes).length > 0) out.attributes = { ...actor.attributes };
  return out;
}

export function tableName(relation: RelationName): string {
  return relation.schema ? `${relation.schema}.${relation.name}` : relation.name;
}

/** Tables the statement reads and writes when it runs (deferred effects — PREPARE bodies, function bodies — excluded). */
export function tablesOf(effects: Effect[]): { read: string[]; written: WrittenTable[] } {
  const read = new Set<string>();
  const written = new Map<string, WrittenTable>();
  for (const effect of effects) {
    if (effect.deferred) continue;
    if (effect.type === 'read') read.add(tableName(effect.relation));
    else if (effect.type === 'write') {
      const table = tableName(effect.relation);
      const entry: WrittenTable = { table, operation: effect.operation };
      if (effect.columns?.length) entry.columns = [...effect.columns];
      if (!written.has(table)) written.set(table, entry);
    } else if (effect.type === 'ddl' && effect.relation) {
      const table = tableName(effect.relation);
      if (!written.has(table)) written.set(table, { table, operation: 'ddl' });
    }
  }
  return { read: [...read].sort(), written: [...written.values()] };
}

export function decisionInput(ctx: DecisionContext): AuditInput {
  const { statement, decision, context } = ctx;
  const { read, written } = tablesOf(statement.effects);
  // Assignments, not conditional spreads: this runs for every statement.
  const input: Extract<AuditInput, { kind: 'decision' }> = {
    kind: 'decision',
    session: ctx.session,
    door: ctx.door,
    actor: auditActor(ctx.actor),
    statementIndex: statement.index,
    statement: statement.sql,
    fingerprint: statement.fingerprint,
    statementKind: statement.kind,
    readOnly: statement.readOnly,
    action: decision.action,
    rules: [...decision.rules],
    message: decision.message,
    tags: { ...statement.tags },
    read,
    written,
  };
  if (context.clientAddress !== undefined) input.clientAddress = context.clientAddress;
  if (context.applicationName !== undefined) input.applicationName = context.applicationName;
  if (context.database !== undefined) input.database = context.database;
  if (context.transaction !== undefined) input.transaction = context.transaction;
  if (decision.hint !== undefined) input.hint = decision.hint;
  if (decision.sqlstate !== undefined) input.sqlstate = decision.sqlstate;
  if (decision.impact !== undefined) input.impact = decision.impact;
  if (decision.errors.length > 0) input.errors = [...decision.errors];
  if (ctx.parameters !== undefined) input.parameters = ctx.parameters;
  return input;
}
