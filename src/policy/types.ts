/**
 * The decision model: what `decide(request)` takes and returns. Shared by every door (proxy, MCP,
 * CLI, HTTP) and by the audit trail. Change additively.
 */
import type { StatementAnalysis } from '../sql/types.js';

export type ActorKind = 'human' | 'agent' | 'pipeline' | 'service';

export interface Actor {
  name: string;
  kind: ActorKind;
  groups: string[];
  /** Free attributes from the policy file (model, owner, team, …). */
  attributes: Record<string, string>;
  /** Databases the actor may connect to; any when absent. */
  databases?: string[];
}

export interface SessionContext {
  clientAddress?: string;
  applicationName?: string;
  database?: string;
  /** Transaction state as the proxy sees it: idle, in a transaction, or in a failed transaction. */
  transaction?: 'idle' | 'in-transaction' | 'failed';
  /** Door the request came through. */
  door?: 'proxy' | 'mcp' | 'cli' | 'http';
}

/** Facts about a relation from a catalog port (static from the policy now, live from PostgreSQL later). */
export interface RelationFacts {
  schema: string;
  name: string;
  kind?: 'table' | 'view' | 'materialized-view' | 'partitioned-table' | 'foreign-table' | 'sequence' | 'unknown';
  /** Tags on the table and its schema. */
  tags: string[];
  /** Tags per column name. */
  columnTags: Record<string, string[]>;
  /** Estimated row count; undefined when unknown. */
  rows?: number;
  protected?: boolean;
}

/** How many rows a write would touch. Never 0 by default: an unknown figure escalates. */
export interface ImpactFigure {
  rows: number | 'unknown';
  mode: 'estimate' | 'exact';
  /** Table size the percentage thresholds compare against, when known. */
  tableRows?: number;
  error?: string;
}

export interface DecisionRequest {
  actor: Actor;
  session: SessionContext;
  statement: StatementAnalysis;
  /** How many statements the whole text holds (`statement.index` is this one's place among them). */
  statementCount?: number;
  /** Resolved relations touched by the statement (keyed `schema.name`). */
  relations: Record<string, RelationFacts>;
  /** Impact figure when a rule asked for it (see `RulePlan.needsImpact`). */
  impact?: ImpactFigure;
  /** Environment name from the policy/config, e.g. `production`. */
  environment: string;
  /** Decision time (ISO 8601); passed in so decide() stays pure. */
  now: string;
  /** Bound parameter values, for statements with `$n` in sensitive positions (extended protocol). */
  parameters?: (string | null)[];
}

export type Action = 'allow' | 'deny' | 'review';

export type MaskStyle = 'redact' | 'partial' | 'hash' | 'null';

export interface Obligations {
  /** Columns to mask: by tag or by `schema.table.column`. */
  mask?: { tags: string[]; columns: string[]; style: MaskStyle; keep?: number }[];
  /** Maximum rows returned by a statement, and what happens past it. */
  maxResultRows?: { rows: number; onExceed: 'error' | 'truncate' };
  /** Maximum rows a write may affect; percentage of table when `percent` is set. */
  maxAffectedRows?: { rows?: number; percent?: number; mode: 'estimate' | 'exact'; onUnknown: 'deny' | 'review' };
  readOnly?: boolean;
  requireReason?: boolean;
}

export interface DecisionReason {
  rule: string;
  action: Action;
  message: string;
  hint?: string;
}

export interface Decision {
  action: Action;
  /** Rule ids that produced the action (every deny names at least one). */
  rules: string[];
  /** Lowercase, user input in backticks, no trailing period. */
  message: string;
  /** How to succeed: add a WHERE, narrow the columns, state a reason, ask for approval. */
  hint?: string;
  /** SQLSTATE to send on the wire for deny/review (42501 unless a rule says otherwise). */
  sqlstate?: string;
  obligations: Obligations;
  /** Every rule that matched, with its own message — for audit and explanations. */
  reasons: DecisionReason[];
  /** Engine errors (a rule that threw, a CEL error, an analysis error) that forced fail-closed. */
  errors: string[];
  /** The impact figure the decision used, if any. */
  impact?: ImpactFigure;
  /** For a statement that does not parse: 1-based character position of the error in the text, as PostgreSQL reports it. */
  position?: number;
}
