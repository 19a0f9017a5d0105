/**
 * Decisions beyond one statement: the whole text (a simple Query may hold several statements) and
 * what a door can actually enforce.
 */
import { DENIED_SQLSTATE } from './decide.js';
import { hasObligations, mergeObligations } from './obligations.js';
import { EngineRule } from './policy.js';
import type { Decision, MaskStyle, Obligations } from './types.js';

const SEVERITY = { allow: 0, review: 1, deny: 2 } as const;

/**
 * The decision for a whole text: the strictest statement decides (if any statement is denied, the
 * whole text is); when all are allowed, their obligations combine.
 */
export function strictest(decisions: readonly Decision[]): Decision {
  if (decisions.length === 0) return { action: 'allow', rules: [], message: 'nothing to run', obligations: {}, reasons: [], errors: [] };
  if (decisions.length === 1) return decisions[0]!;
  let worst = decisions[0]!;
  for (const d of decisions) if (SEVERITY[d.action] > SEVERITY[worst.action]) worst = d;
  const errors = decisions.flatMap((d) => d.errors);
  const reasons = decisions.flatMap((d) => d.reasons);
  if (worst.action !== 'allow') {
    const blocking = decisions.filter((d) => d.action === worst.action);
    return { ...worst, rules: [...new Set(blocking.flatMap((d) => d.rules))], reasons, errors };
  }
  const obligations: Obligations = {};
  for (const d of decisions) mergeObligations(obligations, d.obligations);
  return { ...worst, rules: [...new Set(decisions.flatMap((d) => d.rules))], obligations, reasons, errors };
}

/** What a door can do with an allowed statement. Absent or `false`: it cannot. */
export interface DoorCapabilities {
  /** Mask styles it applies to result columns (`true`: all). */
  mask?: boolean | readonly MaskStyle[];
  /** Result-row caps: which overflow behaviours it supports (`true`: both). */
  maxResultRows?: boolean | readonly ('error' | 'truncate')[];
  /**
   * Checks exact affected-row counts (runs the write in a transaction and rolls back past the
   * limit). Limits on estimates need nothing from the door: the decision already applied them.
   */
  maxAffectedRows?: boolean;
  /** Runs the statement in a read-only transaction. */
  readOnly?: boolean;
  /** Obtains a stated reason from the caller. */
  requireReason?: boolean;
}

/**
 * Turns an allow whose obligations the door cannot honour into a deny: an obligation that is not
 * enforced must not silently become an unconditional allow.
 */
export function enforceCapabilities(decision: Decision, door: DoorCapabilities): Decision {
  if (decision.action !== 'allow' || !hasObligations(decision.obligations)) return decision;
  const missing = unenforceable(decision.obligations, door);
  if (missing.length === 0) return decision;
  const message = `this entry point cannot enforce ${missing.map((m) => `\`${m}\``).join(', ')}, which the policy requires here`;
  const hint = 'use an entry point that supports it (the proxy does), or ask a policy owner to adjust the rule';
  return {
    action: 'deny',
    rules: [EngineRule.unenforceable, ...decision.rules],
    message,
    hint,
    sqlstate: DENIED_SQLSTATE,
    obligations: {},
    reasons: [...decision.reasons, { rule: EngineRule.unenforceable, action: 'deny', message, hint }],
    errors: decision.errors,
    ...(decision.impact ? { impact: decision.impact } : {}),
  };
}

function unenforceable(o: Obligations, door: DoorCapabilities): string[] {
  const missing: string[] = [];
  const supports = <T>(capability: boolean | readonly T[] | undefined, value: T) =>
    capability === true || (Array.isArray(capability) && capability.includes(value));
  for (const mask of o.mask ?? []) if (!supports(door.mask, mask.style)) missing.push(`mask (${mask.style})`);
  if (o.maxResultRows && !supports(door.maxResultRows, o.maxResultRows.onExceed)) missing.push(`maxResultRows (${o.maxResultRows.onExceed})`);
  if (o.maxAffectedRows?.mode === 'exact' && !door.maxAffectedRows) missing.push('maxAffectedRows (exact)');
  if (o.readOnly && !door.readOnly) missing.push('readOnly');
  if (o.requireReason && !door.requireReason) missing.push('requireReason');
  return [...new Set(missing)];
}
