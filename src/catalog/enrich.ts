/**
 * Adds what only the live database knows to an analysis before it is decided: which function a call
 * really reaches. The analyser classifies calls by name; the catalog can tell that `lower(x)` may
 * reach a user-defined `public.lower` that shadows the builtin, and that a user function is
 * VOLATILE. Only ever makes an analysis stricter:
 *   - a call that may reach a user function shadowing a builtin becomes a call of `unknown` class
 *     (rules treat it as a function whose effects are unknown), and the statement's read-only
 *     state becomes `unknown` unless it is already `false`;
 *   - a user function's declared volatility is filled in; a user function the policy does not mark
 *     safe leaves the statement's read-only state no better than `unknown` (it may write);
 *   - the one relaxation is the policy's own word: a read whose only unknowns are user functions the
 *     policy marks safe (`no-side-effect-functions.allow`) counts as read-only.
 * The door passes the enriched analysis to the guard (`GuardInput.analysis`).
 */
import type { Analysis, FunctionEffect, StatementAnalysis, Volatility } from '../sql/types.js';
import type { Actor } from '../policy/types.js';
import type { Policy } from '../policy/policy.js';
import { resolveFunction, type FunctionResolution } from './functions.js';
import type { LiveCatalog, ResolutionContext } from './live-catalog.js';

export type FunctionFindingKind =
  /** The call may reach a user function instead of the builtin of that name. */
  | 'shadows-builtin'
  /** The call reaches a user function (volatility from the catalog). */
  | 'user-function'
  /** No function of that name and arity is on the path (the statement will fail, or creates it first). */
  | 'not-found';

export interface FunctionFinding {
  statement: number;
  kind: FunctionFindingKind;
  /** `schema.name` of the candidates. */
  candidates: string[];
  volatility?: Volatility;
  /** The policy marks the function safe. */
  safe: boolean;
  name: string;
}

export interface EnrichedAnalysis {
  analysis: Analysis;
  findings: FunctionFinding[];
}

const STRICTNESS: readonly Volatility[] = ['volatile', 'stable', 'immutable'];

export async function enrichAnalysis(catalog: LiveCatalog, analysis: Analysis, context: ResolutionContext, safe: ReadonlySet<string> = new Set()): Promise<EnrichedAnalysis> {
  const calls = analysis.statements.some((s) => s.effects.some((e) => e.type === 'function' && e.operator === undefined));
  if (!calls) return { analysis, findings: [] };
  const snapshot = await catalog.snapshot();
  const paths = await catalog.effectivePaths(context);
  const findings: FunctionFinding[] = [];
  const statements = analysis.statements.map((statement) => {
    let copy: StatementAnalysis | undefined;
    statement.effects.forEach((effect, i) => {
      if (effect.type !== 'function' || effect.operator !== undefined) return;
      const resolution = resolveFunction(snapshot, { name: effect.name, ...(effect.schema !== undefined ? { schema: effect.schema } : {}), argCount: effect.argCount }, paths);
      const finding = findingFor(statement.index, effect, resolution, safe);
      if (!finding) return;
      findings.push(finding);
      const changed = stricterEffect(effect, finding);
      if (!changed) return;
      copy ??= { ...statement, effects: [...statement.effects] };
      copy.effects[i] = changed;
      if (copy.readOnly === true && !finding.safe) copy.readOnly = 'unknown';
    });
    const result = copy ?? statement;
    return onlySafeUnknowns(result, findings) ? { ...result, readOnly: true as const } : result;
  });
  return { analysis: { ...analysis, statements }, findings };
}

/** A statement judged `unknown` only because of user functions that the policy marks safe. */
function onlySafeUnknowns(statement: StatementAnalysis, findings: FunctionFinding[]): boolean {
  if (statement.readOnly !== 'unknown' || statement.unclassified?.length || statement.error) return false;
  const mine = findings.filter((f) => f.statement === statement.index);
  for (const effect of statement.effects) {
    if (effect.type === 'read' && effect.deferred === undefined) continue;
    if (effect.type !== 'function' || effect.operator !== undefined) return false;
    if (effect.class === 'safe') continue;
    if (effect.class !== 'unknown' || !mine.some((f) => f.name === effect.name && f.kind === 'user-function' && f.safe)) return false;
  }
  return mine.length > 0;
}

function findingFor(index: number, effect: FunctionEffect, resolution: FunctionResolution, safe: ReadonlySet<string>): FunctionFinding | undefined {
  const candidates = [...new Set(resolution.candidates.map((f) => `${f.schema}.${f.name}`))];
  const isSafe = (resolution.candidates.length > 0 && resolution.candidates.filter((f) => !f.builtin).every((f) => safe.has(`${f.schema}.${f.name}`) || safe.has(f.name)));
  const volatility = strictestVolatility(resolution.candidates.filter((f) => !f.builtin).map((f) => f.volatility));
  const base = { statement: index, candidates, safe: isSafe, name: effect.name, ...(volatility ? { volatility } : {}) };
  if (resolution.shadowsBuiltin) return { ...base, kind: 'shadows-builtin' };
  if (resolution.user) return { ...base, kind: 'user-function' };
  if (resolution.candidates.length === 0 && effect.class === 'unknown') return { ...base, safe: false, kind: 'not-found' };
  return undefined;
}

/** The effect as the guard should see it, or undefined when the analyser's view stands. */
function stricterEffect(effect: FunctionEffect, finding: FunctionFinding): FunctionEffect | undefined {
  if (finding.kind === 'shadows-builtin' && !finding.safe) return { ...effect, class: 'unknown', ...(finding.volatility ? { volatility: finding.volatility } : {}) };
  if (finding.kind === 'user-function' && finding.volatility && effect.volatility !== finding.volatility) return { ...effect, volatility: finding.volatility };
  return undefined;
}

function strictestVolatility(values: Volatility[]): Volatility | undefined {
  for (const v of STRICTNESS) if (values.includes(v)) return v;
  return undefined;
}

/**
 * Functions the policy marks safe for an actor: the `allow` list of every `no-side-effect-functions`
 * rule in the actor's scope (`name` or `schema.name`, lower-cased).
 */
export function safeFunctionsFor(policy: Policy, actor: Actor, environment: string): Set<string> {
  const safe = new Set<string>();
  for (const rule of policy.rulesFor(actor, environment)) {
    if (rule.definition?.id !== 'no-side-effect-functions') continue;
    for (const name of (rule.params as { allow?: string[] }).allow ?? []) safe.add(name.toLowerCase());
  }
  return safe;
}
