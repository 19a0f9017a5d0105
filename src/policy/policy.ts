/**
 * A loaded policy: everything validated and precompiled (scope tables, rule parameters, CEL
 * conditions), so that `decide()` only evaluates.
 */
import type { CompiledCondition } from './cel.js';
import type { RuleDefinition } from './rule.js';
import type { Action, Actor, ActorKind, DecisionRequest, ImpactFigure, Obligations, SessionContext } from './types.js';

/** Ids the engine itself puts in `Decision.rules`; custom rules may not use them. */
export const EngineRule = {
  /** No rule decided; the actor kind's baseline (`defaults`) applied. */
  baseline: 'default',
  /** The statement could not be analysed (syntax error, too complex, internal error). */
  analysis: 'analysis-error',
  /** The guard pipeline could not gather what a decision needs (the catalog lookup failed). */
  pipeline: 'guard-error',
  /** The door cannot honour an obligation the decision carries. */
  unenforceable: 'unenforceable-obligation',
  /** A read-only session obligation on a statement whose effects cannot be known. */
  readOnlySession: 'read-only-session',
  /** The actor may not connect to this database. */
  database: 'database-not-allowed',
  /** A startup packet the engine cannot decide (replication, unknown `options` switches). */
  startup: 'startup-parameter',
} as const;

export const RESERVED_RULE_IDS: ReadonlySet<string> = new Set(Object.values(EngineRule));

/** Who a rule applies to: every listed dimension must match; an absent list matches anything. */
export interface Scope {
  actors?: ReadonlySet<string>;
  groups?: ReadonlySet<string>;
  kinds?: ReadonlySet<ActorKind>;
  environments?: ReadonlySet<string>;
  except?: { actors?: ReadonlySet<string>; groups?: ReadonlySet<string>; kinds?: ReadonlySet<ActorKind> };
}

export interface CompiledRule {
  /** Id reported in decisions: the built-in rule id or the custom rule's id. */
  id: string;
  /** Position in the file's `rules` list (0-based), for messages. */
  index: number;
  /** The action the policy configured (or the built-in rule's default). */
  action: Action;
  /** Built-in rule and its parameters (defaults merged); absent for custom rules. */
  definition?: RuleDefinition<any>;
  params?: unknown;
  /** Custom rules: the condition; built-in rules: an optional extra condition. */
  when?: CompiledCondition;
  /** Only custom `allow` rules grant: built-in rules guard or attach obligations. */
  grants: boolean;
  message?: string;
  hint?: string;
  sqlstate?: string;
  obligations?: Obligations;
  /** A built-in rule's standing obligations (see `RuleDefinition.standingObligations`), computed at load. */
  standing?: Obligations;
  /** Whether the rule wants an impact figure for this request (asked before deciding). */
  needsImpact?: (request: DecisionRequest) => boolean;
  scope: Scope;
}

/** An inline test case from the policy's `tests:` section. */
export interface PolicyTestCase {
  name: string;
  /** Where the case starts in the file, for failure reports. */
  line: number;
  column: number;
  actor?: string;
  sql: string;
  expect: Action;
  /** Exact set of rule ids the decision must name (not checked when absent). */
  rules?: string[];
  environment?: string;
  now?: string;
  session?: SessionContext;
  impact?: ImpactFigure;
  parameters?: (string | null)[];
}

/** A tag or protection entry from `resources`, split into its parts. */
export interface ResourceEntry {
  schema: string;
  table?: string;
  column?: string;
}

export interface Policy {
  /** File the policy came from (`<inline>` when none). */
  file: string;
  environment: string;
  /** What an engine error yields: deny (default) or review. */
  fail: 'deny' | 'review';
  /** Baseline per actor kind when no rule decides. */
  defaults: Readonly<Record<ActorKind, Action>>;
  actors: ReadonlyMap<string, Actor>;
  /** The anonymous actor: the policy's most restricted kind, no groups. */
  anonymous: Actor;
  resources: {
    /** Tags keyed by `schema`, `schema.table` or `schema.table.column`. */
    tags: ReadonlyMap<string, readonly string[]>;
    /** Protected `schema` or `schema.table` names. */
    protected: ReadonlySet<string>;
  };
  rules: readonly CompiledRule[];
  tests: readonly PolicyTestCase[];
  /** The rules whose scope covers this actor in this environment, in file order (cached). */
  rulesFor(actor: Actor, environment: string): readonly CompiledRule[];
}
