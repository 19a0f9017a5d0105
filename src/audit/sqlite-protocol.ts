/** Messages between the SQLite store (main thread) and its writer thread. */
import type { EncodedBody } from './chain.js';
import type { ChainAlgorithm } from './record.js';
import type { PruneResult } from './store.js';

export interface WorkerSetup {
  path: string;
  synchronous: 'normal' | 'full';
  /** The main thread commits on its own connection, which never checkpoints: checkpoint here. */
  checkpoints?: boolean;
  hmacKey?: string;
  busyTimeoutMs?: number;
  stamp: { time: string; instance: string };
}

export type WorkerRequest =
  /** Encoded bodies packed flat (see `pack`): strings clone far cheaper than objects. */
  | { type: 'append'; id: number; packed: (string | null)[] }
  | { type: 'prune'; id: number; before: string; stamp: { time: string; instance: string } }
  | { type: 'close' };

export interface WorkerFailure {
  code: string;
  message: string;
  hint?: string;
}

export type WorkerReply =
  | { type: 'ready'; algorithm: ChainAlgorithm }
  | { type: 'fatal'; error: WorkerFailure }
  /** Records sealed as seq first, first+1 …; `prev` of the first, the others chain on `hashes`. */
  | { type: 'appended'; id: number; first: number; prev: string; hashes: string[] }
  | { type: 'pruned'; id: number; result: PruneResult }
  | { type: 'failed'; id: number; error: WorkerFailure };

const FIELDS = 7;

/** Flattens encoded bodies for postMessage; table names are joined by NUL, which no identifier holds. */
export function pack(bodies: EncodedBody[]): (string | null)[] {
  const out: (string | null)[] = new Array(bodies.length * FIELDS);
  let i = 0;
  for (const b of bodies) {
    out[i++] = b.text;
    out[i++] = b.time;
    out[i++] = b.kind;
    out[i++] = b.actor;
    out[i++] = b.session;
    out[i++] = b.action;
    out[i++] = b.tables.length ? b.tables.join('\u0000') : null;
  }
  return out;
}

export function unpack(packed: (string | null)[]): EncodedBody[] {
  const out: EncodedBody[] = [];
  for (let i = 0; i < packed.length; i += FIELDS) {
    const tables = packed[i + 6];
    out.push({
      text: packed[i]!,
      time: packed[i + 1]!,
      kind: packed[i + 2]!,
      actor: packed[i + 3] ?? null,
      session: packed[i + 4] ?? null,
      action: packed[i + 5] ?? null,
      tables: tables ? tables.split('\u0000') : [],
    });
  }
  return out;
}
