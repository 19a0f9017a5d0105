/**
 * When a ReadyForQuery ends a transaction. Lineage counts a write only once its transaction
 * committed, so the proxy records the end whenever this returns an answer: as `end` on the outcome
 * of the segment's last statement, or as `{ kind: 'transaction', session, end }`. The proxy calls it at every ReadyForQuery with what it saw since the previous one.
 */

/** ReadyForQuery transaction status: idle, in a transaction block, in a failed block. */
export type ReadyStatus = 'I' | 'T' | 'E';

export interface Segment {
  /** Status of the ReadyForQuery before this message (or Sync segment). */
  before: ReadyStatus;
  /** Status of this ReadyForQuery. */
  after: ReadyStatus;
  /** Statements that ran upstream in the segment. */
  statements: number;
  /** The segment's last statement failed (an ErrorResponse, or Parapet's own deny). */
  lastFailed: boolean;
  /** Command tag of the segment's last statement, e.g. `COMMIT` or `ROLLBACK`. */
  lastTag?: string;
}

export function transactionEnd(segment: Segment): 'commit' | 'rollback' | null {
  if (segment.after !== 'I') return null;
  if (segment.before === 'I' && segment.statements === 0) return null;
  if (segment.before === 'E' || segment.lastFailed) return 'rollback';
  // COMMIT of a failed block answers with the tag ROLLBACK.
  if (segment.lastTag?.split(' ')[0] === 'ROLLBACK') return 'rollback';
  return 'commit';
}
