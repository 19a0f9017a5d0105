/**
 * The guard's `ImpactPort` for one client session: how many rows a write would touch, as the
 * actor's policy asks — a planner estimate, or an exact count from running it (see exact-run.ts).
 *
 * Exact mode runs the client's message during the decision and leaves it pending: the door takes
 * the pending run (`takePending`) after deciding and keeps it (allow) or discards it (anything
 * else), then sends the frames it returns instead of forwarding the message. Before running, the
 * `precheck` asks whether anything but the size would block the statement: a statement other rules
 * deny is never run, not even inside a savepoint.
 */
import { createGuard } from '../guard/guard.js';
import type { Guard, GuardOptions, ImpactPort } from '../guard/types.js';
import type { Policy } from '../policy/policy.js';
import type { Actor, ImpactFigure, SessionContext } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { LiveCatalog } from '../catalog/live-catalog.js';
import { estimateWrite, type SessionRunner } from './estimate.js';
import { exactRefusal, exactTargets, type MessageShape } from './exact-plan.js';
import { runExact, type ExactRun, type LentConnection } from './exact-run.js';

export interface ExactSupport {
  /** The client message being decided: its shape, and its bytes (a simple Query); the guard supplies the statement count when the door leaves it out. */
  message(): (MessageShape & { bytes?: Buffer }) | undefined;
  /** Runs `work` on the session's upstream connection once nothing else is in flight on it. */
  lend<T>(work: (conn: LentConnection) => Promise<T>): Promise<T>;
  /** Whether the statement would be allowed if its size were within every limit (see `hypotheticalCheck`). */
  precheck?(statement: StatementAnalysis, session: SessionContext): Promise<boolean>;
}

export interface SessionImpactOptions {
  catalog: LiveCatalog;
  runner: SessionRunner;
  /** The figure the policy asks for (see `impactModeFor`). */
  mode: 'estimate' | 'exact';
  /** Most RETURNING rows an exact run holds until its count is known; defaults to 10000. */
  holdRows?: number;
  exact?: ExactSupport;
  /** Bound values of the message being decided (extended protocol), for planning `$n` statements. */
  parameters?(): readonly (string | null)[] | undefined;
}

export interface SessionImpact extends ImpactPort {
  /** The exact run left pending by the last `measure`, handed over once. */
  takePending(): ExactRun | undefined;
}

export function sessionImpact(options: SessionImpactOptions): SessionImpact {
  let pending: ExactRun | undefined;
  return {
    async measure(statement, session, text) {
      if (options.mode === 'estimate' || !options.exact) {
        return estimateWrite(statement, session, options, options.parameters?.());
      }
      // One message runs once: a second write needing a count in it cannot run it again.
      if (pending) return { rows: 'unknown', mode: 'exact', error: 'the message already ran once for an exact count' };
      return measureExact(statement, session, text?.statements, options, options.exact, (run) => (pending = run));
    },
    takePending() {
      const run = pending;
      pending = undefined;
      return run;
    },
  };
}

async function measureExact(
  statement: StatementAnalysis,
  session: SessionContext,
  statements: number | undefined,
  options: SessionImpactOptions,
  exact: ExactSupport,
  leave: (run: ExactRun) => void,
): Promise<ImpactFigure> {
  const unknown = (error: string): ImpactFigure => ({ rows: 'unknown', mode: 'exact', error });
  const sent = exact.message();
  const message = sent && statements !== undefined ? { ...sent, statements } : sent;
  const targets = exactTargets(statement, await options.catalog.snapshot());
  const refusal = exactRefusal(statement, session, message, targets.foreign);
  if (refusal) return unknown(refusal);
  if (!message?.bytes) return unknown('the message to run is not available');
  if (exact.precheck && !(await exact.precheck(statement, session))) return unknown('not run: the statement is blocked whatever its size');

  // The table size for percentages, and whether every changed row must be counted: from the
  // catalog, or where it cannot tell, from the plan (its estimate decides nothing here).
  const facts = targets.facts ?? (await plannedFacts(statement, session, options));
  const { countAll, tableRows } = facts;
  const status = session.transaction === 'in-transaction' ? 'T' : 'I';
  let run: ExactRun;
  try {
    run = await exact.lend((conn) => runExact(conn, { message: message.bytes!, status, countAll, holdRows: options.holdRows ?? 10_000 }));
  } catch (error) {
    return unknown(`the statement could not be run for its count: ${(error as Error).message}`);
  }
  leave(run);
  if (run.failed) return unknown(`the statement failed (SQLSTATE ${run.failed.code})`);
  if (run.overflowed) return unknown('it returned more rows than parapet holds before the count is known');
  if (run.rows === undefined) return unknown('the row count could not be read');
  return { rows: run.rows, mode: 'exact', ...(tableRows !== undefined ? { tableRows } : {}) };
}

/** Targets the catalog cannot resolve: the table size from the plan, and every changed row counted. */
async function plannedFacts(statement: StatementAnalysis, session: SessionContext, options: SessionImpactOptions): Promise<{ countAll: boolean; tableRows?: number }> {
  const planned = await estimateWrite(statement, session, options);
  return { countAll: true, ...(planned.tableRows !== undefined ? { tableRows: planned.tableRows } : {}) };
}

/** The impact mode the actor's `max-affected-rows` rules ask for: exact if any does. */
export function impactModeFor(policy: Policy, actor: Actor, environment: string): 'estimate' | 'exact' {
  for (const rule of policy.rulesFor(actor, environment)) {
    if (rule.definition?.id === 'max-affected-rows' && (rule.params as { mode?: string }).mode === 'exact') return 'exact';
  }
  return 'estimate';
}

/**
 * A `precheck` for exact mode: decides the statement as if its size were within every limit (0
 * rows), through a guard built like the session's. `false` means other rules block it anyway, so it
 * must not run.
 */
export function hypotheticalCheck(guardOptions: Omit<GuardOptions, 'impact'>, actor: Actor): NonNullable<ExactSupport['precheck']> {
  // Built at the first exact count: every session of an exact-mode actor has a precheck, few use it.
  let guard: Guard | undefined;
  return async (statement, session) => {
    guard ??= createGuard({ ...guardOptions, impact: { measure: async () => ({ rows: 0, mode: 'exact', tableRows: Number.MAX_SAFE_INTEGER }) } });
    const { decision } = await guard.evaluate({ sql: statement.sql, analysis: { statements: [{ ...statement, index: 0 }] }, actor, session });
    return decision.action === 'allow';
  };
}
