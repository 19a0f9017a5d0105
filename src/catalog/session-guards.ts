/**
 * Everything one client session needs from the live guards, wired together, so that a door makes a
 * handful of calls (see docs/guards.md, "Hook points"): a guard whose catalog resolves through the
 * session's search path and whose impact port sizes writes on the session, analyses enriched with
 * function facts, the masking side doors applied to allowed statements, the result guards, and the
 * bookkeeping after each statement.
 */
import { createGuard } from '../guard/guard.js';
import type { Guard, GuardInput, GuardOptions, GuardResult } from '../guard/types.js';
import { strictest } from '../policy/combine.js';
import type { Policy } from '../policy/policy.js';
import type { Actor, Decision } from '../policy/types.js';
import { analyze as analyzeText, initParser } from '../sql/index.js';
import type { Analysis, StatementAnalysis } from '../sql/types.js';
import { sessionImpact, impactModeFor, hypotheticalCheck, type ExactSupport, type SessionImpact } from '../impact/impact-port.js';
import type { SessionRunner } from '../impact/estimate.js';
import { SessionResults } from '../results/session-results.js';
import { maskingFor, type MaskingPolicy, type NoOriginAction } from '../results/masking-policy.js';
import { maskingSideDoor, MASKING_RULE } from '../results/side-doors.js';
import type { BulkReadLimit } from '../results/row-plan.js';
import { enrichAnalysis, safeFunctionsFor, type FunctionFinding } from './enrich.js';
import { functionCallSql } from './functions.js';
import type { LiveCatalog, ResolutionContext } from './live-catalog.js';
import { SearchPathTracker } from './search-path.js';
import { noteStatementRan } from './session-changes.js';

export interface SessionGuardsOptions {
  policy: Policy;
  actor: Actor;
  environment?: string;
  /** The catalog of the session's database (one per database, shared by its sessions). */
  catalog: LiveCatalog;
  /** `SHOW search_path` and `current_user` of the upstream session at connect. */
  searchPath: string;
  role: string;
  /** The deployment's key for the `hash` mask style. */
  maskKey: Buffer;
  bulk?: BulkReadLimit;
  noOrigin?: NoOriginAction;
  analyze?: GuardOptions['analyze'];
  clock?: GuardOptions['clock'];
  /** Parapet's own SQL on the session between the client's messages (estimates), and exact-mode support. */
  session?: { runner: SessionRunner; exact?: ExactSupport; parameters?(): readonly (string | null)[] | undefined; holdRows?: number };
}

export interface SessionGuards {
  readonly guard: Guard;
  readonly results: SessionResults;
  readonly tracker: SearchPathTracker;
  readonly masking: MaskingPolicy | undefined;
  /** The impact port, when the session can run Parapet's SQL (`takePending` for exact mode). */
  readonly impact: SessionImpact | undefined;
  /** Decides a text like the guard, with function facts and the masking side doors; same result shape. */
  evaluate(input: GuardInput): Promise<GuardResult & { findings: FunctionFinding[] }>;
  /** A FunctionCall message: decided as the SQL call of the function its OID names (unknown OID: undefined). */
  functionCall(oid: number, argCount: number, parameters: (string | null)[]): Promise<GuardResult | undefined>;
  /** After a statement completed without error (updates the search path; reloads the catalog after DDL). */
  statementRan(statement: StatementAnalysis, inTransactionBlock: boolean): void;
}

export function createSessionGuards(o: SessionGuardsOptions): SessionGuards {
  const environment = o.environment ?? o.policy.environment;
  const tracker = new SearchPathTracker(o.searchPath, o.role);
  const resolution = (): ResolutionContext => ({ searchPath: tracker.state });
  const masking = maskingFor(o.policy, o.actor, environment, o.noOrigin);
  const catalogPort = o.catalog.port(resolution);
  const base = { policy: o.policy, catalog: catalogPort, environment, ...(o.analyze ? { analyze: o.analyze } : {}), ...(o.clock ? { clock: o.clock } : {}) };
  // Exact counts run the statement: only once every other rule would let it run (`hypotheticalCheck`).
  const exact = o.session?.exact && { precheck: hypotheticalCheck(base, o.actor), ...o.session.exact };
  const impact = o.session
    ? sessionImpact({
        catalog: o.catalog,
        runner: o.session.runner,
        mode: impactModeFor(o.policy, o.actor, environment),
        ...(exact ? { exact } : {}),
        ...(o.session.parameters ? { parameters: o.session.parameters } : {}),
        ...(o.session.holdRows !== undefined ? { holdRows: o.session.holdRows } : {}),
      })
    : undefined;
  const guard = createGuard({ ...base, ...(impact ? { impact } : {}) });
  const results = new SessionResults({ catalog: o.catalog, resolution, maskKey: o.maskKey, ...(masking ? { masking } : {}), ...(o.bulk ? { bulk: o.bulk } : {}) });
  const safe = safeFunctionsFor(o.policy, o.actor, environment);
  const analyze = async (text: string): Promise<Analysis> => {
    if (o.analyze) return o.analyze(text);
    await initParser();
    return analyzeText(text);
  };

  async function evaluate(input: GuardInput): Promise<GuardResult & { findings: FunctionFinding[] }> {
    const enriched = await enrichAnalysis(o.catalog, input.analysis ?? (await analyze(input.sql)), resolution(), safe);
    const result = await guard.evaluate({ ...input, analysis: enriched.analysis });
    if (!masking) return { ...result, findings: enriched.findings };
    const decisions: Decision[] = [];
    for (const [i, decision] of result.decisions.entries()) {
      const statement = result.analysis.statements[i]!;
      const door = decision.action === 'allow' ? await maskingSideDoor(statement, { catalog: o.catalog, resolution: resolution(), masking }) : undefined;
      decisions.push(door ? refusal(decision, door.message, door.hint) : decision);
    }
    return { analysis: result.analysis, decisions, decision: strictest(decisions), findings: enriched.findings };
  }

  return {
    guard,
    results,
    tracker,
    masking,
    impact,
    evaluate,
    async functionCall(oid, argCount, parameters) {
      const fn = (await o.catalog.snapshot()).functions.get(oid) ?? (await o.catalog.refresh()).functions.get(oid);
      if (!fn) return undefined;
      return evaluate({ sql: functionCallSql(fn, argCount), actor: o.actor, session: { door: 'proxy' }, parameters });
    },
    statementRan(statement, inTransactionBlock) {
      if (noteStatementRan(tracker, statement, { inTransactionBlock }).ddl) o.catalog.invalidate();
    },
  };
}

function refusal(decision: Decision, message: string, hint: string): Decision {
  return {
    action: 'deny',
    rules: [MASKING_RULE],
    message,
    hint,
    sqlstate: '42501',
    obligations: {},
    reasons: [...decision.reasons, { rule: MASKING_RULE, action: 'deny', message, hint }],
    errors: decision.errors,
    ...(decision.impact ? { impact: decision.impact } : {}),
  };
}
