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
  | { type: 'append'; id: number; packed: string[] }
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

const FIELDS = 3;

/** Flattens encoded bodies for postMessage. */
export function pack(bodies: EncodedBody[]): string[] {
  const out: string[] = new Array(bodies.length * FIELDS);
  let i = 0;
  for (const b of bodies) {
    out[i++] = b.text;
    out[i++] = b.time;
    out[i++] = b.kind;
  }
  return out;
}

export function unpack(packed: string[]): EncodedBody[] {
  const out: EncodedBody[] = [];
  for (let i = 0; i < packed.length; i += FIELDS) out.push({ text: packed[i]!, time: packed[i + 1]!, kind: packed[i + 2]! });
  return out;
}
