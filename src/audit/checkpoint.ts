/**
 * Checkpoints: the chain's length and head hash, exported to be kept somewhere the store's writers
 * cannot reach (a ticket, another machine, a WORM bucket). `audit verify --checkpoint FILE` then
 * detects a truncated tail or a chain rewritten up to that point.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { AuditError } from './errors.js';
import type { ChainAlgorithm } from './record.js';
import type { AuditStore } from './store.js';

export const CHECKPOINT_FORMAT = 'parapet-audit-checkpoint/1';

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** seq of the head when exported; records ever appended (seq starts at 1). */
  seq: number;
  /** Records stored when exported (fewer than `seq` after retention). */
  count: number;
  hash: string;
  algorithm: ChainAlgorithm;
  time: string;
}

export async function takeCheckpoint(store: AuditStore, now = new Date()): Promise<Checkpoint> {
  const head = await store.head();
  if (!head) throw new AuditError('bad-checkpoint', 'the audit store is empty');
  return { format: CHECKPOINT_FORMAT, seq: head.seq, count: head.count, hash: head.hash, algorithm: store.algorithm, time: now.toISOString() };
}

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileSync(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}

export function readCheckpoint(path: string): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new AuditError('bad-checkpoint', `cannot read the checkpoint \`${path}\`: ${(cause as Error).message}`, { cause });
  }
  const c = value as Partial<Checkpoint>;
  if (
    c?.format !== CHECKPOINT_FORMAT ||
    !Number.isInteger(c.seq) ||
    typeof c.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(c.hash)
  ) {
    throw new AuditError('bad-checkpoint', `\`${path}\` is not a parapet audit checkpoint`, { hint: 'export one with `parapet audit checkpoint --out FILE`' });
  }
  return c as Checkpoint;
}
