/**
 * The guard pipeline's contract: what a door hands in, what it gets back, and the ports the
 * pipeline asks for facts it cannot derive from the SQL text (injected, so the core stays pure).
 */
import type { Analysis, RelationName, StatementAnalysis } from '../sql/types.js';
import type { Policy } from '../policy/policy.js';
import type { Actor, Decision, ImpactFigure, RelationFacts, SessionContext } from '../policy/types.js';

/** What the names in a statement mean: tags, protection, size. Static from the policy now, live later. */
export interface CatalogPort {
  /**
   * Facts for the relations a statement names, keyed `schema.name` (unqualified names resolved
   * through the session's search path). Unknown relations may be left out.
   */
  resolve(relations: readonly RelationName[], session: SessionContext): Promise<Record<string, RelationFacts>> | Record<string, RelationFacts>;
}

/** How many rows a write would touch; asked only when a rule needs the figure. */
export interface ImpactPort {
  /** Must not throw for a statement it cannot size: return `rows: 'unknown'` (it never counts as 0). */
  measure(statement: StatementAnalysis, session: SessionContext, text?: ImpactText): Promise<ImpactFigure>;
}

/** The text the measured statement was decided in. */
export interface ImpactText {
  /** Statements the text holds. */
  statements: number;
}

export interface GuardOptions {
  policy: Policy;
  /** Defaults to a static catalog built from the policy's `resources`. */
  catalog?: CatalogPort;
  /** Without one, rules that need a figure see none and escalate as their parameters say. */
  impact?: ImpactPort;
  /** Decision time; defaults to the system clock. */
  clock?: () => Date;
  /** Overrides the policy's `environment` (e.g. from the serve configuration). */
  environment?: string;
  /** The analyser; defaults to the SQL analyser (`src/sql`). */
  analyze?: (text: string) => Analysis | Promise<Analysis>;
}

export interface GuardInput {
  sql: string;
  /** An analysis made earlier (at Parse, for the extended protocol) to reuse. */
  analysis?: Analysis;
  actor: Actor;
  session: SessionContext;
  /** Bound parameter values (extended protocol). */
  parameters?: (string | null)[];
}

export interface GuardResult {
  analysis: Analysis;
  /** One decision per statement, in order. */
  decisions: Decision[];
  /** The whole text: the strictest statement decides (any denied statement denies the text). */
  decision: Decision;
}

export interface Guard {
  readonly policy: Policy;
  /** The environment decisions are made in. */
  readonly environment: string;
  evaluate(input: GuardInput): Promise<GuardResult>;
  /**
   * Decides a connection at startup: the actor's database allow-list, replication requests, and
   * every setting in the startup packet (incl. each `-c name=value` in `options`) decided like the
   * matching `SET`. Parameters whose value is `undefined` are ignored.
   */
  decideConnect(actor: Actor, database: string, startupParameters: Readonly<Record<string, string | undefined>>): Promise<Decision>;
  /** The policy's actor of that name. */
  actor(name: string): Actor | undefined;
  /** The actor for requests without an identity: the policy's most restricted kind. */
  anonymousActor(): Actor;
}
