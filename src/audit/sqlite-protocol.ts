/** Messages between the SQLite store (main thread) and its writer thread. */
import type { ChainAlgorithm, RecordBody } from './record.js';
import type { PruneResult } from './store.js';

export interface WorkerSetup {
  path: string;
  synchronous: 'normal' | 'full';
  hmacKey?: string;
  busyTimeoutMs?: number;
  stamp: { time: string; instance: string };
}

export type WorkerRequest =
  | { type: 'append'; id: number; bodies: RecordBody[] }
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
