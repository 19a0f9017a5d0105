/**
 * The ordered queue of responses a session expects from its upstream. Every client message that the
 * server answers is pushed here when it is forwarded; every upstream message is fed to `onMessage`,
 * which says what to do with it (forward, or swallow and send Parapet's own error instead) and pops
 * the unit it completes. This keeps Parapet's replies and the upstream's in order under pipelining,
 * and tells which statement a CommandComplete or ErrorResponse belongs to.
 *
 * It models PostgreSQL's rules: a simple Query (and FunctionCall) ends at ReadyForQuery; extended
 * messages each end at their own reply; after an error in the extended protocol the server answers
 * nothing until Sync; during copy-in it ignores Sync and Flush. Pure: no sockets, no clock.
 */
import { BackendCode } from '../protocol/codes.js';
import type { TransactionStatus } from '../protocol/codes.js';
import type { PgErrorFields } from '../protocol/pg-error.js';

/** What a unit is waiting for; `tag` carries the caller's own bookkeeping (audit, prepared names). */
export type Unit<Tag = unknown> =
  | { kind: 'query'; tag: Tag }
  | { kind: 'function-call'; tag: Tag }
  | { kind: 'parse'; tag: Tag }
  | { kind: 'bind'; tag: Tag }
  | { kind: 'describe'; tag: Tag }
  | { kind: 'execute'; tag: Tag }
  | { kind: 'close'; tag: Tag }
  | { kind: 'sync'; tag: Tag }
  /**
   * A message Parapet sent in place of a denied one, certain to fail upstream so the server aborts
   * what it must (the transaction, or the rest of a Sync segment). Its error is swallowed and
   * `error` goes to the client instead. `simple`: sent as a Query, ends at ReadyForQuery.
   */
  | { kind: 'poison'; simple: boolean; error: PgErrorFields; tag: Tag };

export type UnitKind = Unit['kind'];

/** What became of one upstream message. */
export interface Step<Tag> {
  /** Forward the message to the client as it is. */
  forward: boolean;
  /** Send this ErrorResponse to the client in the message's place (a poison's denial). */
  replaceWith?: PgErrorFields;
  /** Units this message completed, oldest first, with how each ended. */
  completed: Completion<Tag>[];
  /** A statement of a simple Query finished (CommandComplete / EmptyQueryResponse) or failed: the query unit's tag. */
  statementDone?: { tag: Tag; commandTag?: string; error?: PgErrorFields };
  /** The head unit failed but stays until its ReadyForQuery (simple Query, FunctionCall, simple poison, Sync's commit). */
  unitError?: { unit: Unit<Tag>; error?: PgErrorFields };
  /** ReadyForQuery's status. */
  status?: TransactionStatus;
  /** The server is waiting for the client's copy data. */
  copyIn?: boolean;
}

export interface Completion<Tag> {
  unit: Unit<Tag>;
  /** `ok`: its reply came; `error`: it failed; `skipped`: discarded after an earlier error. */
  outcome: 'ok' | 'error' | 'skipped';
  /** The CommandComplete tag of an Execute. */
  commandTag?: string;
  error?: PgErrorFields;
}

/** Thrown when the upstream answers something the model did not expect: the session must end. */
export class ResponseOrderError extends Error {
  override readonly name = 'ResponseOrderError';
}

export class ResponseTracker<Tag = unknown> {
  #units: Unit<Tag>[] = [];
  #head = 0;
  #copyIn = false;
  /** An extended-protocol error arrived before the client's Sync was sent. */
  #skippingToSync = false;

  /** Units still waiting for their reply. */
  get pending(): number {
    return this.#units.length - this.#head;
  }

  /** True while the server waits for CopyData (Sync and Flush are ignored then). */
  get copyIn(): boolean {
    return this.#copyIn;
  }

  /**
   * Records a forwarded message that the server will answer. After an extended-protocol error the
   * server ignores everything up to Sync; a message sent in that window is never answered, so it is
   * returned at once as skipped instead of being queued.
   */
  push(unit: Unit<Tag>): Completion<Tag> | undefined {
    if (this.#skippingToSync && unit.kind !== 'sync') return { unit, outcome: 'skipped' };
    if (unit.kind === 'sync') this.#skippingToSync = false;
    this.#units.push(unit);
    return undefined;
  }

  /** The client ended copy-in (CopyDone or CopyFail). */
  endCopyIn(): void {
    this.#copyIn = false;
  }

  peek(): Unit<Tag> | undefined {
    return this.#units[this.#head];
  }

  /**
   * Feeds one upstream message (its type byte; the decoded error fields and command tag when the
   * message is an ErrorResponse or CommandComplete).
   */
  onMessage(code: number, detail: { error?: PgErrorFields; commandTag?: string; status?: TransactionStatus } = {}): Step<Tag> {
    const head = this.peek();
    const step: Step<Tag> = { forward: true, completed: [] };
    switch (code) {
      case BackendCode.ReadyForQuery: {
        if (!head || !(head.kind === 'query' || head.kind === 'function-call' || head.kind === 'sync' || (head.kind === 'poison' && head.simple))) {
          throw new ResponseOrderError(`unexpected ReadyForQuery while waiting for ${head?.kind ?? 'nothing'}`);
        }
        this.#copyIn = false;
        step.completed.push({ unit: this.#pop(), outcome: 'ok' });
        if (detail.status) step.status = detail.status;
        return step;
      }
      case BackendCode.ErrorResponse:
        return this.#onError(head, detail.error, step);
      case BackendCode.ParseComplete:
        return this.#complete(head, 'parse', step);
      case BackendCode.BindComplete:
        return this.#complete(head, 'bind', step);
      case BackendCode.CloseComplete:
        return this.#complete(head, 'close', step);
      case BackendCode.NoData:
      case BackendCode.RowDescription:
        // A RowDescription also heads the rows of a simple Query's SELECT; only a Describe ends here.
        if (head?.kind === 'describe') step.completed.push({ unit: this.#pop(), outcome: 'ok' });
        return step;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended: {
        if (head?.kind === 'execute') {
          const completion: Completion<Tag> = { unit: this.#pop(), outcome: 'ok' };
          if (detail.commandTag !== undefined) completion.commandTag = detail.commandTag;
          step.completed.push(completion);
        } else if (head?.kind === 'query' && code !== BackendCode.PortalSuspended) {
          step.statementDone = detail.commandTag === undefined ? { tag: head.tag } : { tag: head.tag, commandTag: detail.commandTag };
        } else {
          throw new ResponseOrderError(`unexpected command completion while waiting for ${head?.kind ?? 'nothing'}`);
        }
        return step;
      }
      case BackendCode.CopyInResponse: {
        this.#copyIn = true;
        step.copyIn = true;
        // Syncs already sent behind the COPY reach the server in copy-in mode, which ignores them.
        this.#units = [...this.#units.slice(0, this.#head + 1), ...this.#units.slice(this.#head + 1).filter((u) => u.kind !== 'sync')];
        return step;
      }
      default:
        // ParameterDescription, DataRow, CopyOut/CopyData/CopyDone, notices, notifications,
        // ParameterStatus, FunctionCallResponse: part of the head's reply or asynchronous.
        return step;
    }
  }

  #complete(head: Unit<Tag> | undefined, kind: UnitKind, step: Step<Tag>): Step<Tag> {
    if (head?.kind !== kind) throw new ResponseOrderError(`unexpected ${kind} completion while waiting for ${head?.kind ?? 'nothing'}`);
    step.completed.push({ unit: this.#pop(), outcome: 'ok' });
    return step;
  }

  #onError(head: Unit<Tag> | undefined, error: PgErrorFields | undefined, step: Step<Tag>): Step<Tag> {
    this.#copyIn = false;
    if (!head) return step; // asynchronous (e.g. FATAL on shutdown): forward, nothing to complete
    const failed: Completion<Tag> = error ? { unit: head, outcome: 'error', error } : { unit: head, outcome: 'error' };
    if (head.kind === 'poison') {
      step.forward = false;
      step.replaceWith = head.error;
    }
    if (head.kind === 'query' || head.kind === 'function-call' || head.kind === 'sync' || (head.kind === 'poison' && head.simple)) {
      // The rest of the message is skipped (or, for Sync, its implicit COMMIT failed);
      // ReadyForQuery follows and ends the unit.
      if (head.kind === 'query') step.statementDone = error ? { tag: head.tag, error } : { tag: head.tag };
      step.unitError = error ? { unit: head, error } : { unit: head };
      return step;
    }
    // Extended protocol: this message failed and the server discards everything until Sync.
    this.#pop();
    step.completed.push(failed);
    for (let unit = this.peek(); unit && unit.kind !== 'sync'; unit = this.peek()) {
      step.completed.push({ unit: this.#pop(), outcome: 'skipped' });
    }
    if (!this.peek()) this.#skippingToSync = true;
    return step;
  }

  #pop(): Unit<Tag> {
    const unit = this.#units[this.#head]!;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#units.length) {
      this.#units = this.#units.slice(this.#head);
      this.#head = 0;
    }
    return unit;
  }
}
