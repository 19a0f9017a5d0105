/**
 * Chain verification. Walks the stored rows in seq order and stops at the FIRST bad record,
 * naming what happened to it:
 *
 * - `edited`: its content (or an indexed column) no longer matches its hash, or a record was
 *   re-hashed after an edit so its successor no longer links to it;
 * - `deleted`: records are missing (a gap in seq, or the rest renumbered over the hole);
 * - `inserted`: a record that the chain does not link through;
 * - `reordered`: a genuine record found at another position than the one it was sealed at;
 * - `truncated`: the tail is shorter than an exported checkpoint says.
 *
 * Without an HMAC key anyone who can write the store can recompute a whole chain; an exported
 * checkpoint kept elsewhere is what catches that (see docs/audit.md).
 */
import { canonicalText } from './canonical.js';
import { hashEncoded, type ChainKey } from './chain.js';
import { recordAction, recordActor, recordSession, recordTables, ZERO_HASH } from './record.js';
import type { RecordBody } from './record.js';
import type { Checkpoint } from './checkpoint.js';
import type { AuditStore, StoredRow } from './store.js';
import { sameKeys, searchKeys } from './search-keys.js';

export type Problem = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated';

export interface VerifyFailure {
  /** The first bad record (for `truncated`, the first missing seq). */
  seq: number;
  problem: Problem;
  message: string;
  hint?: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records checked. */
  checked: number;
  /** First and last seq checked. */
  from?: number;
  to?: number;
  failure?: VerifyFailure;
  /** Things worth knowing that are not failures (a checkpoint older than retention …). */
  notes: string[];
}

export interface VerifyOptions {
  from?: number;
  to?: number;
  checkpoint?: Checkpoint;
}

/** How far around a failure the classifier looks for where a record came from. */
const WINDOW = 1000;

interface Body {
  parsed?: RecordBody;
  text?: string;
}

function parseBody(row: StoredRow): Body {
  try {
    const parsed = JSON.parse(row.body) as RecordBody;
    return { parsed, text: canonicalText(row.body) };
  } catch {
    return {};
  }
}

function isPrunedGenesis(body: Body): boolean {
  return body.parsed?.kind === 'genesis' && body.parsed.reason === 'pruned';
}

/** Whether the indexed columns (or search keys) still say what the body says. */
function indexMismatch(row: StoredRow, body: RecordBody): string | undefined {
  if (row.time !== body.time) return 'time';
  if (row.kind !== body.kind) return 'kind';
  if ('keys' in row) return sameKeys(row.keys, row.keyed ? searchKeys(body) : []) ? undefined : 'search key';
  if ((row.actor ?? undefined) !== recordActor(body)) return 'actor';
  if ((row.session ?? undefined) !== recordSession(body)) return 'session';
  if ((row.action ?? undefined) !== recordAction(body)) return 'action';
  const tables = recordTables(body).sort();
  if (tables.length !== row.tables.length || tables.some((t, i) => t !== [...row.tables].sort()[i])) return 'tables';
  return undefined;
}

export async function verifyChain(store: AuditStore, key: ChainKey, options: VerifyOptions = {}): Promise<VerifyReport> {
  const notes: string[] = [];
  const selfHash = (row: StoredRow, seq: number, text: string): string => hashEncoded(key, seq, row.prev, text);
  const keyHint = store.algorithm === 'hmac-sha256' ? 'the chain is keyed: check that PARAPET_AUDIT_KEY is the key it was written with' : undefined;

  // Start one record early so the first record in range is checked against its predecessor.
  const scanFrom = options.from !== undefined && options.from > 1 ? options.from - 1 : undefined;
  const iterator = store.scan({ ...(scanFrom !== undefined ? { from: scanFrom } : {}), ...(options.to !== undefined ? { to: options.to } : {}) })[Symbol.asyncIterator]();
  let buffer: StoredRow[] = [];
  let at = 0;
  let exhausted = false;
  const next = async (): Promise<StoredRow | undefined> => {
    while (at >= buffer.length && !exhausted) {
      const page = await iterator.next();
      if (page.done) exhausted = true;
      else (buffer = page.value), (at = 0);
    }
    return buffer[at++];
  };
  const lookahead = async (n: number): Promise<StoredRow[]> => {
    const out: StoredRow[] = [];
    for (let i = 0; i < n; i++) {
      const row = await next();
      if (!row) break;
      out.push(row);
    }
    return out;
  };

  const seen = new Map<string, number>(); // hash → seq of rows already accepted
  let prev: { seq: number; hash: string } | undefined;
  let checked = 0;
  let firstChecked: number | undefined;
  let anchor: { seq: number; hash: string } | undefined;
  const report = (failure: VerifyFailure): VerifyReport => ({
    ok: false,
    checked,
    ...(firstChecked !== undefined ? { from: firstChecked } : {}),
    ...(prev ? { to: prev.seq } : {}),
    failure: keyHint && failure.problem === 'edited' && !failure.hint ? { ...failure, hint: keyHint } : failure,
    notes,
  });

  for (let row = await next(); row; row = await next()) {
    const body = parseBody(row);
    const isContext = scanFrom !== undefined && prev === undefined && row.seq === scanFrom;

    if (prev === undefined && !isContext) {
      // The very first record of the store, or the first of a range whose predecessor is gone.
      if (isPrunedGenesis(body)) {
        anchor = { seq: row.seq, hash: row.hash };
      } else if (options.from === undefined || options.from <= row.seq) {
        const start = options.from ?? 1;
        if (row.seq !== start && options.from === undefined) {
          return report({ seq: row.seq, problem: 'deleted', message: `records before ${row.seq} are missing and no pruned genesis stands in for them` });
        }
        if (options.from === undefined && row.prev !== ZERO_HASH) {
          return report({ seq: row.seq, problem: 'edited', message: `the first record does not start the chain` });
        }
      }
    }

    if (!isPrunedGenesis(body) || prev !== undefined) {
      const selfOk = body.text !== undefined && selfHash(row, row.seq, body.text) === row.hash;
      const linkOk = prev === undefined || (row.seq === prev.seq + 1 && row.prev === prev.hash);
      if (!selfOk || !linkOk) {
        const window = await lookahead(WINDOW);
        return report(classify(row, body, prev, window, seen, selfHash));
      }
      const mismatch = body.parsed ? indexMismatch(row, body.parsed) : undefined;
      if (mismatch) {
        return report({ seq: row.seq, problem: 'edited', message: `record ${row.seq}: the indexed ${mismatch} no longer matches the record` });
      }
      const vouched = body.parsed?.kind === 'checkpoint' && anchor && body.parsed.through === anchor.seq;
      if (vouched && body.parsed?.kind === 'checkpoint') {
        if (body.parsed.throughHash !== anchor!.hash) {
          return report({ seq: anchor!.seq, problem: 'edited', message: `the pruned genesis ${anchor!.seq} does not keep the hash its prune checkpoint ${row.seq} vouches for` });
        }
        anchor = undefined;
      }
    }
    seen.set(row.hash, row.seq);
    prev = { seq: row.seq, hash: row.hash };
    if (!isContext) {
      checked++;
      firstChecked ??= row.seq;
    }
  }

  if (anchor && !(await vouchedLater(store, anchor, options.to))) {
    return report({ seq: anchor.seq, problem: 'deleted', message: `records before ${anchor.seq} were removed, but no prune checkpoint vouches for the genesis that stands in for them` });
  }

  if (options.checkpoint) {
    const failure = await checkCheckpoint(store, options.checkpoint, notes);
    if (failure) return report(failure);
  }
  return { ok: true, checked, ...(firstChecked !== undefined ? { from: firstChecked } : {}), ...(prev ? { to: prev.seq } : {}), notes };
}

async function vouchedLater(store: AuditStore, anchor: { seq: number; hash: string }, to: number | undefined): Promise<boolean> {
  if (to === undefined) return false;
  const checkpoints = await store.search({ kind: 'checkpoint', after: to });
  return checkpoints.some((c) => c.kind === 'checkpoint' && c.through === anchor.seq && c.throughHash === anchor.hash);
}

async function checkCheckpoint(store: AuditStore, checkpoint: Checkpoint, notes: string[]): Promise<VerifyFailure | undefined> {
  const head = await store.head();
  const headSeq = head?.seq ?? 0;
  if (headSeq < checkpoint.seq) {
    return {
      seq: headSeq + 1,
      problem: 'truncated',
      message: `the chain ends at ${headSeq} but the checkpoint vouches for ${checkpoint.seq} records: ${checkpoint.seq - headSeq} missing from the tail`,
    };
  }
  const [row] = await store.read({ from: checkpoint.seq, to: checkpoint.seq });
  if (!row) {
    notes.push(`the checkpoint's record ${checkpoint.seq} was pruned by retention; export a new checkpoint`);
    return undefined;
  }
  if (row.hash !== checkpoint.hash) {
    return {
      seq: checkpoint.seq,
      problem: 'edited',
      message: `record ${checkpoint.seq} has a different hash than the checkpoint: the chain up to it was rewritten`,
    };
  }
  return undefined;
}

/** Names what happened at the first record that does not verify. */
function classify(
  row: StoredRow,
  body: Body,
  prev: { seq: number; hash: string } | undefined,
  window: StoredRow[],
  seen: Map<string, number>,
  selfHash: (row: StoredRow, seq: number, text: string) => string,
): VerifyFailure {
  const sealedAt = (r: StoredRow, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (selfHash(r, r.seq, text) === r.hash) return r.seq;
    for (let d = 1; d <= WINDOW; d++) {
      if (selfHash(r, r.seq + d, text) === r.hash) return r.seq + d;
      if (r.seq - d >= 1 && selfHash(r, r.seq - d, text) === r.hash) return r.seq - d;
    }
    return undefined;
  };
  const origin = sealedAt(row, body.text);
  const later = new Map(window.map((r) => [r.hash, r.seq]));

  if (origin !== undefined && later.has(row.prev)) {
    return { seq: row.seq, problem: 'reordered', message: `record ${row.seq} was sealed at ${origin} and follows record ${later.get(row.prev)}, which is stored after it` };
  }
  // A forged record in front of the genuine one that links to the last good record.
  const after = window[0];
  if (prev && after && after.prev === prev.hash && sealedAt(after, parseBody(after).text) === prev.seq + 1) {
    return { seq: row.seq, problem: 'inserted', message: `record ${row.seq} was inserted: record ${after.seq} links directly to record ${prev.seq}` };
  }
  if (origin === undefined) {
    return { seq: row.seq, problem: 'edited', message: `record ${row.seq} does not match its hash: its content was changed` };
  }
  // From here the record is genuine: sealed at `origin`, with the predecessor hash it was sealed with.
  if (prev && row.seq > prev.seq + 1) {
    return { seq: prev.seq + 1, problem: 'deleted', message: `records ${prev.seq + 1}–${row.seq - 1} are missing` };
  }
  const predecessor = seen.get(row.prev);
  if (origin < row.seq) {
    const inserted = predecessor !== undefined ? predecessor + 1 : row.seq - 1;
    return { seq: inserted, problem: 'inserted', message: `record ${inserted} was inserted: record ${row.seq} was sealed at ${origin}, right after record ${predecessor ?? origin - 1}` };
  }
  if (origin > row.seq) {
    return { seq: row.seq, problem: 'deleted', message: `records before ${row.seq} were deleted and the rest renumbered: this record was sealed at ${origin}` };
  }
  if (predecessor !== undefined) {
    return { seq: predecessor + 1, problem: 'inserted', message: `record ${predecessor + 1} was inserted: record ${row.seq} follows record ${predecessor} directly` };
  }
  const edited = prev?.seq ?? row.seq;
  return {
    seq: edited,
    problem: 'edited',
    message: `record ${edited} was edited and re-hashed: record ${row.seq} recorded a different hash for it`,
    hint: 'or records between them were deleted and the rest re-hashed; compare with an exported checkpoint',
  };
}
