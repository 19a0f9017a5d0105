/**
 * The audit store port. Two implementations (SQLite, PostgreSQL) pass one contract suite
 * (test/audit/contract.ts). A store owns the chain: `append` reads the head, seals the bodies after
 * it and writes them in ONE transaction, so the chain stays serial even with several writers.
 */
import type { Action } from '../policy/types.js';
import type { AuditRecord, ChainAlgorithm, RecordBody, RecordKind } from './record.js';
import type { SearchKey } from './search-keys.js';

/** A stored row back into a record. */
export function rowToRecord(row: { seq: number; prev: string; hash: string; body: string }): AuditRecord {
  return { ...(JSON.parse(row.body) as RecordBody), seq: row.seq, prev: row.prev, hash: row.hash } as AuditRecord;
}

/** The newest record and the extent of what is stored. */
export interface ChainHead {
  /** seq and hash of the newest record. */
  seq: number;
  hash: string;
  /** Lowest seq still stored (above 1 after retention). */
  first: number;
  /** Records stored. */
  count: number;
}

/** A row as stored, for the verifier: the body text exactly as saved and the index beside it. */
interface RowBase {
  seq: number;
  prev: string;
  hash: string;
  body: string;
  /** Copies of body fields in columns; verify checks they still agree with the body. */
  time: string;
  kind: string;
}

/** A row whose search fields are columns beside it (PostgreSQL store). */
export interface ColumnRow extends RowBase {
  actor: string | null;
  session: string | null;
  action: string | null;
  /** Names in the table index, sorted. */
  tables: string[];
}

/** A row whose search keys are written after commit (SQLite store, ./search-keys.ts). */
export interface KeyedRow extends RowBase {
  /** Keys stored for the record. */
  keys: SearchKey[];
  /** Whether the record is at or before the key mark: its keys must then be exactly its own, else none. */
  keyed: boolean;
}

export type StoredRow = ColumnRow | KeyedRow;

export interface ReadRange {
  from?: number;
  to?: number;
  limit?: number;
  /** `desc` returns the newest first (for `tail`). Default `asc`. */
  order?: 'asc' | 'desc';
}

/** Filters for `search`; all given filters must hold. */
export interface SearchQuery {
  actor?: string;
  /** `table` matches any schema; `schema.table` matches that and the unqualified name. */
  table?: string;
  decision?: Action;
  rule?: string;
  kind?: RecordKind;
  session?: string;
  /** ISO 8601 bounds on `time`, inclusive / exclusive. */
  since?: string;
  until?: string;
  /** Substring of the record (statement text, message, tags …), case-sensitive. */
  text?: string;
  /** Only records after this seq (for `--follow`). */
  after?: number;
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface PruneResult {
  /** Records removed (including the one replaced by the pruned genesis). */
  removed: number;
  /** seq of the genesis stand-in now first in the chain. */
  genesis: number;
  /** The chained checkpoint record that vouches for the stand-in. */
  checkpoint: AuditRecord;
}

export interface AuditStore {
  /** Chain algorithm the store was created with. */
  readonly algorithm: ChainAlgorithm;
  /** Seals and writes the bodies in one transaction; resolves once committed. */
  append(bodies: RecordBody[]): Promise<AuditRecord[]>;
  head(): Promise<ChainHead | null>;
  read(range?: ReadRange): Promise<AuditRecord[]>;
  search(query: SearchQuery): Promise<AuditRecord[]>;
  /** Raw rows in seq order, in pages, for verification. */
  scan(range?: { from?: number; to?: number }, pageSize?: number): AsyncIterable<StoredRow[]>;
  /**
   * Removes records older than `before` (ISO 8601): the last removed record is replaced by a
   * genesis stand-in that keeps its hash, and a checkpoint record appended at the head vouches
   * for that hash, so the rest of the chain still verifies.
   */
  prune(before: string, stamp: { time: string; instance: string }): Promise<PruneResult>;
  close(): Promise<void>;
}

/** Stand-in for pruned records: the body written at the prune point. */
export function prunedGenesis(
  algorithm: ChainAlgorithm,
  stamp: { time: string; instance: string },
  before: string,
  removed: number,
): RecordBody {
  return { kind: 'genesis', reason: 'pruned', algorithm, time: stamp.time, instance: stamp.instance, prunedBefore: before, removed };
}
