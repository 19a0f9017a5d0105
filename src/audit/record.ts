/**
 * What an audit record holds. Every record is appended once and never updated: an outcome is a
 * record of its own that points at its decision; a transaction end is carried by the outcome of the
 * statement that ended it, or is a record of its own when it was seen later.
 *
 * A caller hands the trail an `AuditInput` (one of the bodies below, `time` and `instance` optional);
 * the store seals it into an `AuditRecord` by adding `seq`, `prev` and `hash` (see `chain.ts`).
 */
import type { ActorKind, Action, ImpactFigure } from '../policy/types.js';
import type { ReadOnly, WriteOperation } from '../sql/types.js';

/** The entry point a request came through. */
export type Door = 'proxy' | 'mcp' | 'cli' | 'http';

/** The authenticated actor, as much of it as a later reader (or a policy backtest) needs. */
export interface AuditActor {
  name: string;
  kind: ActorKind;
  groups: string[];
  /** Free attributes from the policy (model, owner, team …), when any. */
  attributes?: Record<string, string>;
}

/** Fields every record carries. */
interface BodyBase {
  /** ISO 8601 time the record was made (the trail fills it when the caller leaves it out). */
  time: string;
  /** The Parapet instance that wrote it (several instances may share one PostgreSQL store). */
  instance: string;
}

/** Fields shared by records that belong to a client session. */
interface SessionFields {
  /** Parapet's own session id (unique per instance). */
  session: string;
  door: Door;
  clientAddress?: string;
  applicationName?: string;
  database?: string;
}

/** A session starting, failing to authenticate, or ending. */
export interface SessionBody extends BodyBase, SessionFields {
  kind: 'session';
  event: 'connect' | 'auth-failure' | 'disconnect';
  /** The authenticated actor (absent on auth failure). */
  actor?: AuditActor;
  /** The user name the client presented — untrusted, recorded for auth failures. */
  user?: string;
  /** Why a session ended or failed (e.g. `wrong password or unknown actor`, `client closed`). */
  reason?: string;
}

/** A write target named by a statement, with the columns it writes where known. */
export interface WrittenTable {
  /** `schema.table` when the schema was written, else `table`. */
  table: string;
  operation: WriteOperation | 'ddl';
  columns?: string[];
}

/** The decision on one statement, committed before the statement is forwarded. */
export interface DecisionBody extends BodyBase, SessionFields {
  kind: 'decision';
  actor: AuditActor;
  /** The session's transaction state before this statement, as the door saw it. */
  transaction?: 'idle' | 'in-transaction' | 'failed';
  /** 0-based index of the statement within its message. */
  statementIndex: number;
  /** The statement text, redacted per `redaction` (`PASSWORD '…'` always redacted). */
  statement: string;
  /** How `statement` was redacted: `literals` replaces every constant with `$n`. */
  redaction: Redaction;
  fingerprint: string;
  /** Statement kind from the analyser (select, insert, create-table …). */
  statementKind: string;
  readOnly: ReadOnly;
  action: Action;
  rules: string[];
  message: string;
  hint?: string;
  sqlstate?: string;
  /** sqlcommenter tags from the statement: untrusted context, never rights. */
  tags: Record<string, string>;
  impact?: ImpactFigure;
  /** Engine errors that forced a fail-closed decision. */
  errors?: string[];
  /** Tables read, as written (`schema.table` or `table`). */
  read: string[];
  written: WrittenTable[];
  /** Bound parameter values (extended protocol) — kept only with `redact: none`. */
  parameters?: (string | null)[];
}

/** What happened to a forwarded statement, appended after the upstream answered. */
export interface OutcomeBody extends BodyBase {
  kind: 'outcome';
  session: string;
  /** `seq` of the decision record this outcome belongs to. */
  decision: number;
  /** Command tag from CommandComplete, e.g. `INSERT 0 3`. */
  commandTag?: string;
  /** Rows affected or returned, when the tag or the row stream says. */
  rows?: number;
  /** Set when the statement failed upstream. */
  error?: { sqlstate: string; message: string };
  durationMs: number;
  /**
   * The ReadyForQuery that came with the answer ended the transaction: the same fact a
   * `transaction` record states, folded into the statement's outcome.
   */
  end?: 'commit' | 'rollback';
}

/**
 * The upstream left a transaction: ReadyForQuery with status `I` after statements ran, when it did
 * not arrive with the last statement's outcome (which then carries `end`). Lineage waits for either
 * before it counts writes as committed (see `transactionEnd` in ./transaction.ts).
 */
export interface TransactionBody extends BodyBase {
  kind: 'transaction';
  session: string;
  end: 'commit' | 'rollback';
}

/** First record of a chain (`reason: created`), or the stand-in for pruned records (`reason: pruned`). */
export interface GenesisBody extends BodyBase {
  kind: 'genesis';
  reason: 'created' | 'pruned';
  /** Chain algorithm, so a verifier knows whether it needs the key. */
  algorithm: ChainAlgorithm;
  /** For `pruned`: records before this one were removed; it keeps the hash of the last removed record. */
  prunedBefore?: string;
  removed?: number;
}

/** A chained note that retention pruned the chain: it vouches for the genesis stand-in's hash. */
export interface CheckpointBody extends BodyBase {
  kind: 'checkpoint';
  reason: 'prune';
  /** seq of the genesis stand-in and the hash it keeps (the hash of the record it replaced). */
  through: number;
  throughHash: string;
  /** Records removed and the date they were older than. */
  removed: number;
  before: string;
}

export type RecordBody = SessionBody | DecisionBody | OutcomeBody | TransactionBody | GenesisBody | CheckpointBody;
export type RecordKind = RecordBody['kind'];

type Loose<T> = T extends unknown ? Omit<T, 'time' | 'instance' | 'redaction'> & Partial<BodyBase> : never;

/**
 * What a caller records: a body without seq/hash/prev. `time` and `instance` default in the trail;
 * a decision's `statement` is given raw and the trail redacts it (and sets `redaction`).
 */
export type AuditInput = Loose<SessionBody | DecisionBody | OutcomeBody | TransactionBody>;

/** A record as stored: its body plus its place in the chain. */
export type AuditRecord = RecordBody & {
  seq: number;
  /** Hash of the record before (64 zeros for the first). */
  prev: string;
  hash: string;
};

/** `none` keeps statement text as sent (except passwords); `literals` replaces every constant. */
export type Redaction = 'none' | 'literals';

/** `sha256`: anyone can recompute; `hmac-sha256`: needs the key, so an attacker cannot re-forge a chain. */
export type ChainAlgorithm = 'sha256' | 'hmac-sha256';

export const RECORD_KINDS: readonly RecordKind[] = ['session', 'decision', 'outcome', 'transaction', 'genesis', 'checkpoint'];

/** The `prev` of the very first record. */
export const ZERO_HASH = '0'.repeat(64);

/** The actor name a record is attributed to, for indexes and search. */
export function recordActor(body: RecordBody): string | undefined {
  if (body.kind === 'decision') return body.actor.name;
  if (body.kind === 'session') return body.actor?.name ?? body.user;
  return undefined;
}

/** The session id a record belongs to, for indexes. */
export function recordSession(body: RecordBody): string | undefined {
  return 'session' in body ? body.session : undefined;
}

/** The decision action of a decision record, for indexes. */
export function recordAction(body: RecordBody): string | undefined {
  return body.kind === 'decision' ? body.action : undefined;
}

/** Every table a record names (read and written), for the table index. */
export function recordTables(body: RecordBody): string[] {
  if (body.kind !== 'decision') return [];
  const names = new Set(body.read);
  for (const w of body.written) names.add(w.table);
  return [...names];
}
