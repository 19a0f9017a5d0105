/**
 * The shape of a built-in rule: one rule per file under `rules/`, registered in `rules/index.ts`.
 * A rule reports matches as values; it never throws on purpose (if it does, the engine fails closed).
 */
import type { Action, DecisionRequest, Obligations, RelationFacts } from './types.js';

/** One example the rule must (or must not) match; run as a test. */
export interface RuleExample {
  sql: string;
  /** Actor kind for the example; defaults to `agent`. */
  actorKind?: 'human' | 'agent' | 'pipeline' | 'service';
  /** Rule parameters for the example; defaults to the rule's defaults. */
  params?: Record<string, unknown>;
  /** Static catalog facts for the example: `schema.table` → tags / column tags / rows / kind. */
  relations?: Record<string, { tags?: string[]; columnTags?: Record<string, string[]>; rows?: number; protected?: boolean; kind?: RelationFacts['kind'] }>;
  /** Impact figure for rules that need one. */
  impact?: { rows: number | 'unknown'; mode?: 'estimate' | 'exact'; tableRows?: number };
  /** Extra request fields (e.g. `now`, `tags`) for time- or context-dependent rules. */
  now?: string;
  /** Bound parameter values (extended protocol), for statements with `$n` in sensitive positions. */
  parameters?: (string | null)[];
  note?: string;
}

/** What a rule found. The engine turns matches into the decision using the configured action. */
export interface RuleMatch {
  message: string;
  hint?: string;
  /** Override the configured action (e.g. an unknown impact figure escalating to `review`). */
  action?: Action;
  /** SQLSTATE for the wire when this match denies; default 42501. */
  sqlstate?: string;
  /** Obligations to attach when the decision is allow (mask, caps, read-only…). */
  obligations?: Obligations;
}

export interface RuleContext<P> {
  request: DecisionRequest;
  params: P;
}

export interface RuleDefinition<P = Record<string, unknown>> {
  /** Stable kebab-case id, e.g. `require-where`. */
  id: string;
  /** One line: what the rule does. */
  summary: string;
  /** Why it exists: the problem it prevents. */
  rationale: string;
  /** Default action when it matches (`deny` for guards, `allow` for obligation-only rules). */
  defaultAction: Action;
  /** JSON Schema of the rule's parameters (validated at policy load). */
  paramsSchema: Record<string, unknown>;
  defaults: P;
  /** How to proceed when the rule blocks a statement (the doc page's "solution" section). */
  solution?: string;
  /** The rule needs an impact figure (affected rows) to decide. */
  needsImpact?(request: DecisionRequest, params: P): boolean;
  /**
   * Obligations the rule places on every statement of an actor it applies to, whether it matched or
   * not (e.g. `read-only` asks the door to run the statement in a read-only transaction as well).
   */
  standingObligations?(params: P): Obligations;
  examples: { match: RuleExample[]; noMatch: RuleExample[] };
  check(context: RuleContext<P>): RuleMatch[];
}

/**
 * Declares a rule while keeping its id as a literal type, so the registry can derive the closed
 * `RuleId` union from its entries.
 */
export function defineRule<const Id extends string, P>(rule: RuleDefinition<P> & { id: Id }): RuleDefinition<P> & { id: Id } {
  return rule;
}
