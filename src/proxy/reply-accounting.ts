/**
 * What the relay learns from the upstream's replies, besides forwarding them: outcome records for
 * the audit trail, prepared statements the server confirmed (or refused), and the statements run
 * in each ReadyForQuery segment, from which transaction ends are recorded for lineage.
 */
import type { TransactionStatus } from '../protocol/codes.js';
import type { JudgedStatement } from './decider.js';
import type { PendingParse, PreparedRegistry } from './prepared-registry.js';
import type { Completion, Step } from './response-tracker.js';
import type { SessionAudit } from './session-audit.js';

/** A portal Parapet decided at Bind, for the outcome record of its Execute. */
export interface PortalInfo {
  statement: JudgedStatement;
  seq: number | undefined;
}

export type Tag =
  | { type: 'query'; statements: JudgedStatement[]; seqs: number[]; index: number; started: number }
  | { type: 'parse'; entry: PendingParse }
  | { type: 'execute'; portal: PortalInfo | undefined; started: number }
  | { type: 'close'; target: 'S' | 'P'; name: string }
  | { type: 'none' };

export const NONE: Tag = { type: 'none' };

export class ReplyAccounting {
  #segment = { before: 'I' as TransactionStatus, statements: 0, lastFailed: false, lastTag: undefined as string | undefined };

  constructor(
    private readonly registry: PreparedRegistry,
    private readonly audit: SessionAudit,
  ) {}

  /** Books one tracker step; returns the new transaction status at a ReadyForQuery. */
  step(step: Step<Tag>): TransactionStatus | undefined {
    if (step.replaceWith) this.#segment.lastFailed = true;
    const done = step.statementDone;
    if (done && done.tag.type === 'query') {
      const tag = done.tag;
      const statement = tag.statements[tag.index];
      const seq = tag.seqs[tag.index];
      if (seq !== undefined) {
        this.audit.outcome(seq, { ...(done.commandTag !== undefined ? { commandTag: done.commandTag } : {}), ...(done.error ? { error: done.error } : {}), started: tag.started });
      }
      if (!done.error && statement?.change) this.registry.apply(statement.change);
      this.#statementRan(done.commandTag, Boolean(done.error));
      tag.index++;
      tag.started = performance.now();
    }
    for (const completion of step.completed) this.#completed(completion);
    if (step.unitError && step.unitError.unit.kind !== 'query') this.#segment.lastFailed = true;
    if (!step.status) return undefined;
    const { before, statements, lastFailed, lastTag } = this.#segment;
    this.audit.segmentEnded({ before, after: step.status, statements, lastFailed, ...(lastTag !== undefined ? { lastTag } : {}) });
    this.#segment = { before: step.status, statements: 0, lastFailed: false, lastTag: undefined };
    return step.status;
  }

  #completed({ unit, outcome, commandTag, error }: Completion<Tag>): void {
    const tag = unit.tag;
    if (tag.type === 'parse') {
      if (outcome === 'ok') this.registry.parseConfirmed(tag.entry);
      else this.registry.parseFailed(tag.entry);
    } else if (tag.type === 'close' && outcome === 'ok' && tag.target === 'S') {
      this.registry.closed(tag.name);
    } else if (tag.type === 'execute' && outcome !== 'skipped') {
      const portal = tag.portal;
      if (portal?.seq !== undefined) {
        this.audit.outcome(portal.seq, { ...(commandTag !== undefined ? { commandTag } : {}), ...(error ? { error } : {}), started: tag.started });
      }
      if (outcome === 'ok' && portal?.statement.change) this.registry.apply(portal.statement.change);
      this.#statementRan(commandTag, outcome === 'error');
    } else if (outcome === 'error') {
      this.#segment.lastFailed = true;
    }
  }

  #statementRan(commandTag: string | undefined, failed: boolean): void {
    this.#segment.statements++;
    this.#segment.lastFailed = failed;
    this.#segment.lastTag = commandTag;
  }
}
