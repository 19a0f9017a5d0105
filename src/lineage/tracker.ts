/**
 * Turns the audit stream into lineage: which writes committed, which were rolled back. Pure — it
 * is fed audit records in chain order (live from the trail, or replayed from a store) and returns
 * each transaction that wrote something once it has ended.
 *
 * Per session it follows what the proxy records: an allowed decision, then its outcome (the
 * statement ran, or failed), then a `transaction` record when the upstream left the transaction
 * (commit or rollback). Writes wait for that record; ROLLBACK TO SAVEPOINT drops the writes since
 * the savepoint; a session that ends inside a transaction rolls it back, as PostgreSQL does.
 */
import type { AuditActor, AuditRecord, DecisionBody, Door, OutcomeBody } from '../audit/record.js';
import { as, list, stringValue } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';
import { columnLineage, type ColumnSource } from './columns.js';

/** One table one statement wrote. Table names as written (`schema.table` or `table`). */
export interface LineageWrite {
  table: string;
  operation: string;
  /** Tables the statement read. */
  inputs: string[];
  /** Column-level sources, where derivable. */
  columns?: Record<string, ColumnSource[]>;
}

export type StatementStatus = 'committed' | 'aborted' | 'failed';

/** A write statement that ran (or failed) inside a transaction. */
export interface LineageStatement {
  /** seq of the decision record, and of the outcome record. */
  decision: number;
  outcome: number;
  time: string;
  /** Statement text as the audit kept it (redacted per config). */
  statement: string;
  statementKind: string;
  commandTag?: string;
  rows?: number;
  durationMs: number;
  tags: Record<string, string>;
  /** Rule ids on the allow decision (obligations), usually none. */
  rules: string[];
  writes: LineageWrite[];
  status: StatementStatus;
  error?: { sqlstate: string; message: string };
}

/** A transaction that wrote (or tried to), once it ended. */
export interface LineageTransaction {
  session: string;
  instance: string;
  door: Door;
  actor: AuditActor;
  database?: string;
  clientAddress?: string;
  applicationName?: string;
  /** committed; aborted (rolled back); failed (a statement error ended it). */
  status: StatementStatus;
  started: string;
  ended: string;
  /** seq of the record that ended it (transaction end or session end). */
  end: number;
  statements: LineageStatement[];
}

interface Savepoint {
  name: string;
  at: number;
}

interface SessionState {
  decisions: Map<number, DecisionBody & { seq: number }>;
  statements: LineageStatement[];
  savepoints: Savepoint[];
  failed: boolean;
  first?: DecisionBody;
}

const CONTROL = new Set(['savepoint', 'release', 'rollback-to']);

/** The savepoint a SAVEPOINT / RELEASE / ROLLBACK TO statement names (identifiers survive redaction). */
function savepointName(sql: string): string | undefined {
  const parsed = parseSql(sql);
  if (!parsed.ok) return undefined;
  const stmt = as(parsed.value[0]?.stmt, 'TransactionStmt');
  const name = stmt?.savepoint_name;
  if (typeof name === 'string') return name;
  for (const option of list(stmt?.options)) {
    const d = as(option, 'DefElem');
    if (d?.defname === 'savepoint_name') return stringValue(d.arg);
  }
  return undefined;
}

export class LineageTracker {
  private readonly sessions = new Map<string, SessionState>();

  /** Feeds one record; returns the transactions it ended. */
  feed(record: AuditRecord): LineageTransaction[] {
    switch (record.kind) {
      case 'decision':
        this.decision(record);
        return [];
      case 'outcome':
        this.outcome(record);
        return record.end ? this.end(record.instance, record.session, record.end === 'commit' ? 'committed' : 'aborted', record) : [];
      case 'transaction':
        return this.end(record.instance, record.session, record.end === 'commit' ? 'committed' : 'aborted', record);
      case 'session':
        return record.event === 'disconnect' ? this.end(record.instance, record.session, 'aborted', record, true) : [];
      default:
        return [];
    }
  }

  /** Writes that ran but whose transaction has not ended yet, per session (status `committed` meaning "so far"). */
  open(): { instance: string; session: string; actor: AuditActor; statements: LineageStatement[] }[] {
    const out: { instance: string; session: string; actor: AuditActor; statements: LineageStatement[] }[] = [];
    for (const [key, state] of this.sessions) {
      if (!state.first || state.statements.length === 0) continue;
      const [instance, session] = key.split('\u0000') as [string, string];
      out.push({ instance, session, actor: state.first.actor, statements: state.statements });
    }
    return out;
  }

  /** Sessions with writes still waiting for their transaction to end. */
  pending(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.statements.length > 0) n++;
    return n;
  }

  private state(instance: string, session: string): SessionState {
    const key = `${instance}\u0000${session}`;
    let state = this.sessions.get(key);
    if (!state) {
      state = { decisions: new Map(), statements: [], savepoints: [], failed: false };
      this.sessions.set(key, state);
    }
    return state;
  }

  private decision(d: DecisionBody & { seq: number }): void {
    if (d.action !== 'allow') return;
    if (d.written.length === 0 && !CONTROL.has(d.statementKind)) return;
    this.state(d.instance, d.session).decisions.set(d.seq, d);
  }

  private outcome(o: OutcomeBody & { seq: number }): void {
    const state = this.state(o.instance, o.session);
    const d = state.decisions.get(o.decision);
    if (!d) return;
    state.decisions.delete(o.decision);
    if (CONTROL.has(d.statementKind)) {
      if (!o.error) this.control(state, d);
      return;
    }
    const columns = o.error ? {} : columnLineage(d.statement);
    const writes: LineageWrite[] = d.written.map((w) => ({
      table: w.table,
      operation: w.operation,
      inputs: d.read.filter((r) => r !== w.table),
      ...(columns[w.table] ? { columns: columns[w.table] } : {}),
    }));
    state.first ??= d;
    state.statements.push({
      decision: d.seq,
      outcome: o.seq,
      time: d.time,
      statement: d.statement,
      statementKind: d.statementKind,
      ...(o.commandTag !== undefined ? { commandTag: o.commandTag } : {}),
      ...(o.rows !== undefined ? { rows: o.rows } : {}),
      durationMs: o.durationMs,
      tags: d.tags,
      rules: d.rules,
      writes,
      status: o.error ? 'failed' : 'committed',
      ...(o.error ? { error: o.error } : {}),
    });
    if (o.error) state.failed = true;
  }

  private control(state: SessionState, d: DecisionBody): void {
    const name = savepointName(d.statement);
    if (name === undefined) return;
    if (d.statementKind === 'savepoint') {
      state.savepoints.push({ name, at: state.statements.length });
      return;
    }
    const index = state.savepoints.map((s) => s.name).lastIndexOf(name);
    if (index < 0) return;
    if (d.statementKind === 'rollback-to') {
      // Writes since the savepoint are undone, and so is an error since then; the savepoint stays.
      const at = state.savepoints[index]!.at;
      for (const s of state.statements.slice(at)) if (s.status === 'committed') s.status = 'aborted';
      state.savepoints.length = index + 1;
      state.failed = state.statements.slice(0, at).some((s) => s.status === 'failed');
    } else {
      state.savepoints.length = index;
    }
  }

  private end(instance: string, session: string, status: 'committed' | 'aborted', record: AuditRecord, closing = false): LineageTransaction[] {
    const key = `${instance}\u0000${session}`;
    const state = this.sessions.get(key);
    if (!state) return [];
    const done: LineageTransaction[] = [];
    if (state.statements.length > 0 && state.first) {
      const final: StatementStatus = status === 'committed' && !state.failed ? 'committed' : state.failed ? 'failed' : 'aborted';
      for (const s of state.statements) if (s.status === 'committed') s.status = final === 'committed' ? 'committed' : 'aborted';
      const d = state.first;
      done.push({
        session,
        instance,
        door: d.door,
        actor: d.actor,
        ...(d.database !== undefined ? { database: d.database } : {}),
        ...(d.clientAddress !== undefined ? { clientAddress: d.clientAddress } : {}),
        ...(d.applicationName !== undefined ? { applicationName: d.applicationName } : {}),
        status: final,
        started: state.statements[0]!.time,
        ended: record.time,
        end: record.seq,
        statements: state.statements,
      });
    }
    if (closing) this.sessions.delete(key);
    else {
      state.statements = [];
      state.savepoints = [];
      state.failed = false;
      delete state.first;
    }
    return done;
  }
}
