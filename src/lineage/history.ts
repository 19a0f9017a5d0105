/**
 * Lineage read back from the audit store: the trail is replayed through the tracker (lineage is a
 * pure function of the audit records), then queried as a graph of table edges, or as one table's
 * timeline of changes and blocked attempts.
 */
import { bareName, tableMatch } from '../audit/table-names.js';
import type { AuditActor, AuditRecord } from '../audit/record.js';
import type { AuditStore } from '../audit/store.js';
import { LineageTracker, type LineageStatement, type LineageTransaction } from './tracker.js';

export interface History {
  transactions: LineageTransaction[];
  /** Writes of transactions still open when the trail ends. */
  open: { instance: string; session: string; actor: AuditActor; statements: LineageStatement[] }[];
}

/** Replays the whole trail (in pages) through a tracker. */
export async function replay(store: AuditStore): Promise<History> {
  const tracker = new LineageTracker();
  const transactions: LineageTransaction[] = [];
  for await (const page of store.scan()) {
    for (const row of page) {
      const record = { ...(JSON.parse(row.body) as object), seq: row.seq, prev: row.prev, hash: row.hash } as AuditRecord;
      transactions.push(...tracker.feed(record));
    }
  }
  return { transactions, open: tracker.open() };
}

/** `schema.table`; an unqualified name is taken as `public` (search_path is not known here). */
export function qualify(table: string): string {
  return table.includes('.') || table.startsWith('copy:') ? table : `public.${table}`;
}

/** Whether a table name as written matches a query (`table` matches any schema). */
export function matchesTable(query: string, written: string): boolean {
  const match = tableMatch(query);
  return match.bare !== undefined ? bareName(written) === match.bare : match.names.includes(written);
}

/** A committed data flow from one table into another. */
export interface Edge {
  from: string;
  to: string;
  actor: AuditActor;
  session: string;
  runTag?: string;
  reason?: string;
  operation: string;
  rows?: number;
  time: string;
  decision: number;
  /** Column edges `to.column ← from.column` where derivable. */
  columns: { target: string; source: string; transformation: string }[];
}

export function edges(history: History): Edge[] {
  const out: Edge[] = [];
  for (const t of history.transactions) {
    for (const s of t.statements) {
      if (s.status !== 'committed') continue;
      for (const w of s.writes) {
        const sources = new Set(w.inputs);
        for (const list of Object.values(w.columns ?? {})) for (const c of list) sources.add(c.table);
        for (const input of sources) {
          const columns = Object.entries(w.columns ?? {}).flatMap(([target, list]) =>
            list.filter((c) => c.table === input).map((c) => ({ target, source: c.column, transformation: c.transformation })),
          );
          out.push({
            from: qualify(input),
            to: qualify(w.table),
            actor: t.actor,
            session: t.session,
            ...(s.tags.run_id ?? s.tags.run ? { runTag: s.tags.run_id ?? s.tags.run } : {}),
            ...(s.tags.reason ? { reason: s.tags.reason } : {}),
            operation: w.operation,
            ...(s.rows !== undefined ? { rows: s.rows } : {}),
            time: s.time,
            decision: s.decision,
            columns,
          });
        }
      }
    }
  }
  return out;
}

/** Edges reachable from `table` going up (its sources) or down (what it feeds), up to `depth` hops. */
export function walk(all: Edge[], table: string, direction: 'upstream' | 'downstream', depth = Infinity): Edge[] {
  const found: Edge[] = [];
  const seen = new Set<string>();
  let frontier = all
    .map((e) => (direction === 'upstream' ? e.to : e.from))
    .filter((name) => matchesTable(table, name) || name === qualify(table));
  frontier = [...new Set(frontier)];
  for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const name of frontier) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const e of all) {
        if ((direction === 'upstream' ? e.to : e.from) !== name) continue;
        found.push(e);
        next.push(direction === 'upstream' ? e.from : e.to);
      }
    }
    frontier = next;
  }
  return found;
}

export type TimelineStatus = 'committed' | 'aborted' | 'failed' | 'pending' | 'denied' | 'held';

/** One change or blocked attempt on a table. */
export interface TimelineEntry {
  seq: number;
  time: string;
  status: TimelineStatus;
  actor: AuditActor;
  session: string;
  operation: string;
  statement: string;
  rows?: number;
  commandTag?: string;
  /** Why: the deny message and rules, or the `reason` tag of an allowed change. */
  why?: string;
  rules?: string[];
  runTag?: string;
  error?: string;
}

export async function timeline(store: AuditStore, history: History, table: string, range: { since?: string; until?: string } = {}): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  const inRange = (time: string): boolean => (range.since === undefined || time >= range.since) && (range.until === undefined || time < range.until);
  const change = (s: LineageStatement, actor: AuditActor, session: string, status: TimelineStatus): void => {
    const w = s.writes.find((x) => matchesTable(table, x.table));
    if (!w || !inRange(s.time)) return;
    entries.push({
      seq: s.decision,
      time: s.time,
      status,
      actor,
      session,
      operation: w.operation,
      statement: s.statement,
      ...(s.rows !== undefined ? { rows: s.rows } : {}),
      ...(s.commandTag ? { commandTag: s.commandTag } : {}),
      ...(s.tags.reason ? { why: s.tags.reason } : {}),
      ...(s.tags.run_id ?? s.tags.run ? { runTag: s.tags.run_id ?? s.tags.run } : {}),
      ...(s.error ? { error: `${s.error.sqlstate} ${s.error.message}` } : {}),
    });
  };
  for (const t of history.transactions) for (const s of t.statements) change(s, t.actor, t.session, s.status);
  for (const o of history.open) for (const s of o.statements) change(s, o.actor, o.session, s.status === 'failed' ? 'failed' : 'pending');
  for (const action of ['deny', 'review'] as const) {
    const blocked = await store.search({ table, decision: action, ...(range.since ? { since: range.since } : {}), ...(range.until ? { until: range.until } : {}) });
    for (const d of blocked) {
      if (d.kind !== 'decision') continue;
      const w = d.written.find((x) => matchesTable(table, x.table));
      entries.push({
        seq: d.seq,
        time: d.time,
        status: action === 'deny' ? 'denied' : 'held',
        actor: d.actor,
        session: d.session,
        operation: w?.operation ?? d.statementKind,
        statement: d.statement,
        why: d.message,
        rules: d.rules,
        ...(d.tags.run_id ?? d.tags.run ? { runTag: d.tags.run_id ?? d.tags.run } : {}),
      });
    }
  }
  return entries.sort((a, b) => a.seq - b.seq);
}
