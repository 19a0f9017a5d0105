/**
 * The relay's upstream → client side: frames are forwarded as received (`raw`, no copy), fed to the
 * response tracker to keep order and to attribute completions, passed through the session's result
 * guards, and watched for changes to settings Parapet pins. It owns the transaction status, which
 * only the server's ReadyForQuery sets.
 */
import { AdjacentWrites } from './adjacent-writes.js';
import { BackendCode } from '../protocol/codes.js';
import type { TransactionStatus } from '../protocol/codes.js';
import { errorResponse, parameterStatus, readyForQuery } from '../protocol/encode-backend.js';
import type { Frame } from '../protocol/frame-reader.js';
import { parsePgErrorFields, type PgErrorFields } from '../protocol/pg-error.js';
import type { ResultOutput } from '../results/session-results.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { RelayOptions } from './relay.js';
import type { ReplyAccounting, Tag } from './reply-accounting.js';
import { ResponseOrderError, type ResponseTracker } from './response-tracker.js';
import { PINNED_SETTINGS, READ_ONLY_SETTINGS } from './startup-parameters.js';

/** What the reply side needs from the relay around it. */
export interface RepliesHost {
  ended(): boolean;
  /** A ReadyForQuery reached the client (its status is already `status`). */
  ready(status: TransactionStatus): void;
  /** Parapet ended a statement with an error inside an open transaction: make the server fail too. */
  abortUpstream(): void;
  end(reason: string, error?: PgErrorFields): void;
}

export type RepliesOptions = Pick<RelayOptions, 'client' | 'upstream' | 'actor' | 'audit' | 'context' | 'readOnly' | 'log' | 'guards'>;

export class RelayReplies {
  readonly #o: RepliesOptions;
  readonly #tracker: ResponseTracker<Tag>;
  readonly #accounting: ReplyAccounting;
  readonly #host: RepliesHost;
  #status: TransactionStatus = 'I';
  /** Upstream frames not handled yet: the result guards may wait for the catalog before a RowDescription. */
  #queue: Frame[] = [];
  #head = 0;
  #waiting = false;
  /** After Parapet ended a statement inside an open transaction: the server's reply to the poison that aborts it is swallowed. */
  #swallowing = false;
  /** The client cannot take more now: reading from upstream is paused until it drains. */
  #clientDrain = false;
  /** Rows for the client, merged where adjacent; flushed before any other write to the client. */
  readonly #rows = new AdjacentWrites((bytes) => this.#o.client.write(bytes));
  /** The upstream socket's data listener (detached while the session is lent). */
  readonly listener = (chunk: Buffer): void => this.#onData(chunk);

  constructor(options: RepliesOptions, tracker: ResponseTracker<Tag>, accounting: ReplyAccounting, host: RepliesHost) {
    this.#o = options;
    this.#tracker = tracker;
    this.#accounting = accounting;
    this.#host = host;
  }

  /** Transaction status as of the last ReadyForQuery. */
  get status(): TransactionStatus {
    return this.#status;
  }

  /** Frames are still being handled (planned by the result guards, or swallowed): the session cannot be lent. */
  get busy(): boolean {
    return this.#waiting || this.#swallowing;
  }

  /** Writes the rows not yet written (the session is ending: they go before its last word). */
  flush(): void {
    this.#rows.flush();
  }

  /** Frames the server already sent on a lent session, handled now as if they had just arrived. */
  replay(frames: Frame[]): void {
    this.#queue.push(...frames);
    this.#drain();
  }

  #onData(chunk: Buffer): void {
    if (this.#host.ended()) return;
    let frames: Frame[];
    try {
      frames = this.#o.upstream.reader.push(chunk);
    } catch (error) {
      this.#o.log.error(`upstream sent a malformed message: ${(error as Error).message}`);
      this.#host.end('upstream protocol error', { severity: 'FATAL', code: '08P01', message: 'the upstream database sent a malformed message; the session is closed' });
      return;
    }
    if (frames.length === 0) return;
    this.#queue.push(...frames);
    this.#drain();
  }

  /** Handles queued upstream frames in order; stops behind a frame the result guards are still planning. */
  #drain(): void {
    if (this.#waiting) return;
    const client = this.#o.client;
    client.cork();
    try {
      while (this.#head < this.#queue.length) {
        const frame = this.#queue[this.#head++]!;
        const out = this.#results(frame);
        if (out instanceof Promise) {
          this.#waiting = true;
          this.#o.upstream.socket.pause();
          out.then(
            (ready) => this.#planned(frame, ready),
            (error: unknown) => this.#failed(error),
          );
          return;
        }
        this.#onFrame(frame, out);
        if (this.#host.ended()) return;
      }
      this.#queue = [];
      this.#head = 0;
    } catch (error) {
      this.#failed(error);
      return;
    } finally {
      this.#rows.flush();
      client.uncork();
      // An outcome whose ReadyForQuery was not in this read is recorded now, without the end.
      this.#o.audit.readEnded();
    }
    this.#watchClientDrain();
  }

  /** A frame the result guards had to plan (the catalog was asked): handled, then the frames behind it. */
  #planned(frame: Frame, out: ResultOutput): void {
    this.#waiting = false;
    if (this.#host.ended()) return;
    try {
      this.#onFrame(frame, out);
      this.#rows.flush();
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (!this.#clientDrain) this.#o.upstream.socket.resume();
    this.#drain();
  }

  /** The frame through the session's result guards (none: sent as it is). */
  #results(frame: Frame): ResultOutput | Promise<ResultOutput> | undefined {
    const guards = this.#o.guards;
    if (!guards || this.#swallowing || frame.code === BackendCode.ParameterStatus) return undefined;
    return guards.results.push(frame);
  }

  #failed(error: unknown): void {
    const reason = error instanceof ResponseOrderError ? error.message : (error as Error).stack ?? String(error);
    this.#o.log.error(`upstream response out of order: ${reason}`);
    this.#host.end('response order lost', { severity: 'FATAL', code: 'XX000', message: 'parapet lost track of the upstream responses; the session is closed' });
  }

  #watchClientDrain(): void {
    const client = this.#o.client;
    if (client.writableNeedDrain && !this.#clientDrain) {
      this.#clientDrain = true;
      this.#o.upstream.socket.pause();
      client.once('drain', () => {
        this.#clientDrain = false;
        if (!this.#waiting) this.#o.upstream.socket.resume();
      });
    }
  }

  #onFrame(frame: Frame, out?: ResultOutput): void {
    const row = frame.code === BackendCode.DataRow || frame.code === BackendCode.CopyData;
    // Anything but a row may write to the client itself (or end the session): the rows before it go first.
    if (!row) this.#rows.flush();
    if (this.#swallowing) {
      // The reply to the poison that made the server abort as the client was told: the client gets only ReadyForQuery.
      if (frame.code !== BackendCode.ReadyForQuery) return;
      this.#swallowing = false;
      this.#o.client.write(readyForQuery('E'));
      this.#status = 'E';
      this.#host.ready('E');
      return;
    }
    const detail: { error?: PgErrorFields; commandTag?: string; status?: TransactionStatus } = {};
    switch (frame.code) {
      case BackendCode.ErrorResponse:
        detail.error = parsePgErrorFields(frame.payload);
        break;
      case BackendCode.CommandComplete:
        detail.commandTag = frame.payload.toString('utf8', 0, Math.max(0, frame.payload.length - 1));
        break;
      case BackendCode.ReadyForQuery:
        detail.status = String.fromCharCode(frame.payload[0] ?? 0x49) as TransactionStatus;
        break;
      case BackendCode.ParameterStatus:
        if (!this.#settingAllowed(frame.payload)) return;
        if (frame.payload.toString('utf8', 0, frame.payload.indexOf(0)) === 'session_authorization') {
          // The upstream role's name is Parapet's secret; the client sees its own actor name.
          this.#o.client.write(parameterStatus('session_authorization', this.#o.actor.name));
          return;
        }
        break;
    }
    const step = this.#tracker.onMessage(frame.code, detail);
    const client = this.#o.client;
    const ran = this.#o.guards ? statementsRan(step) : [];
    if (out?.abortUpstream) {
      // Parapet ended a statement with an error inside an open transaction: the server must fail too
      // before the client hears ReadyForQuery (docs/guards.md, hook point 4).
      this.#accounting.step(step);
      this.#status = 'E';
      this.#swallowing = true;
      this.#host.abortUpstream();
      return;
    }
    if (step.replaceWith) client.write(errorResponse(step.replaceWith));
    else if (step.forward) {
      const sent = out ? out.send : [frame.raw];
      for (const bytes of sent) {
        if (row) this.#rows.add(bytes);
        else client.write(bytes);
      }
    }
    const inBlock = this.#status !== 'I';
    const status = this.#accounting.step(step);
    for (const statement of ran) this.#o.guards!.statementRan(statement, inBlock);
    if (status) {
      this.#status = status;
      this.#host.ready(status);
    }
    if (detail.error && (detail.error.severity === 'FATAL' || detail.error.severity === 'PANIC')) {
      this.#host.end('upstream ended the session');
    }
  }

  /**
   * A ParameterStatus from upstream. A pinned setting (or, for a read-only session, the read-only
   * default) that changed means something got past the guard: end the session rather than run on.
   */
  #settingAllowed(payload: Buffer): boolean {
    const nul = payload.indexOf(0);
    const name = payload.toString('utf8', 0, nul).toLowerCase();
    const value = payload.toString('utf8', nul + 1, payload.length - 1);
    const pinnedBroken =
      (PINNED_SETTINGS.has(name) && value.toUpperCase() !== (name === 'client_encoding' ? 'UTF8' : 'ON')) ||
      (this.#o.readOnly && READ_ONLY_SETTINGS.has(name) && value.toLowerCase() !== 'on');
    if (!pinnedBroken) return true;
    this.#o.log.error(`session ${this.#o.context.clientAddress ?? ''}: upstream reports ${name}=${value}, which parapet pins; closing the session`);
    this.#host.end('pinned setting changed', {
      severity: 'FATAL',
      code: '42501',
      message: `the session changed \`${name}\`, which parapet pins; the session is closed`,
    });
    return false;
  }
}

/** Statements this step saw complete without error (before the accounting moves past them). */
function statementsRan(step: ReturnType<ResponseTracker<Tag>['onMessage']>): StatementAnalysis[] {
  const ran: StatementAnalysis[] = [];
  const done = step.statementDone;
  if (done && !done.error && done.tag.type === 'query') {
    const statement = done.tag.statements[done.tag.index];
    if (statement) ran.push(statement.analysis);
  }
  for (const completion of step.completed) {
    if (completion.outcome === 'ok' && completion.unit.tag.type === 'execute' && completion.unit.tag.portal) ran.push(completion.unit.tag.portal.statement.analysis);
  }
  return ran;
}
