/**
 * The ready phase of a session: every client message passes through here on its way upstream, and
 * every upstream message on its way back.
 *
 * Client → upstream: messages are handled strictly in order, one at a time. A simple Query is
 * decided as a whole (and its decisions made durable in the audit trail) before a byte of it is
 * forwarded; a Bind is decided on its statement and bound values. A refused message is replaced by a
 * "poison" message that is certain to fail upstream — so the server itself aborts the transaction, or
 * the rest of the Sync segment, exactly as if the statement had failed — and the poison's error is
 * swallowed and replaced by Parapet's. Transaction state therefore always comes from the server.
 *
 * Upstream → client: src/proxy/relay-replies.ts. Parapet's own exchanges on the session between the
 * client's messages: src/proxy/relay-loans.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TransactionStatus } from '../protocol/codes.js';
import { errorResponse } from '../protocol/encode-backend.js';
import { parse as parseMessage, query as queryMessage } from '../protocol/encode-frontend.js';
import { ProtocolError } from '../protocol/errors.js';
import type { Frame, FrameReader } from '../protocol/frame-reader.js';
import { decodeFrontend, type Bind, type FrontendMessage, type FunctionCall } from '../protocol/frontend.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { Actor, SessionContext } from '../policy/types.js';
import type { SessionGuards } from '../catalog/session-guards.js';
import type { SessionLender } from '../catalog/lent-queries.js';
import { simpleQueryResult, type SimpleQueryResult } from '../upstream/simple-query.js';
import type { Decider, Judgement } from './decider.js';
import { boundValues } from './bound-values.js';
import { CorkedHold } from './corked-hold.js';
import { settleExact, type LendingDoor, type SettledExact } from './exact-segment.js';
import { asConnection } from './link-connection.js';
import type { ProxyLog, UpstreamLink } from './ports.js';
import type { PreparedRegistry } from './prepared-registry.js';
import { behindCap, decideDurably, functionCallRefused, unknownPrepared, type Held, type Outcome, type Refusal } from './relay-decisions.js';
import { LendRefused, SessionLoans } from './relay-loans.js';
import { RelayReplies } from './relay-replies.js';
import { NONE, ReplyAccounting, type PortalInfo, type Tag } from './reply-accounting.js';
import { ResponseTracker } from './response-tracker.js';
import type { SessionAudit } from './session-audit.js';

/** See `RelayOptions.prepare`. */
export type SessionPrepare = (lender: SessionLender) => Promise<void> | undefined;

/** Messages of the extended protocol that open a Sync segment when none is open. */
const SEGMENT_MESSAGES = new Set(['Parse', 'Bind', 'Describe', 'Execute', 'Close']);

export interface RelayOptions {
  client: Socket;
  /** The client's frame reader, already past the startup phase. */
  clientReader: FrameReader;
  /** Client frames read during authentication but not yet handled. */
  initialFrames?: Frame[];
  upstream: UpstreamLink;
  actor: Actor;
  decider: Decider;
  registry: PreparedRegistry;
  audit: SessionAudit;
  /** The session facts the guard sees (the transaction state is filled in here). */
  context: Omit<SessionContext, 'transaction'>;
  /** The upstream session is read-only: a report that `default_transaction_read_only` went off ends the session. */
  readOnly: boolean;
  /** Client messages queued behind a pending decision before reading from the client pauses. */
  maxPendingMessages: number;
  log: ProxyLog;
  /** Called once when the session ends, with the reason. */
  onEnd(reason: string): void;
  /** The session's live guards: every reply passes through their result guards (docs/guards.md, hook points 3–6). */
  guards?: SessionGuards;
  /**
   * Called before a simple Query, a FunctionCall and the first message of a Sync segment, before it
   * is decided: a chance to read the catalog on the session itself (the embedded default, whose
   * catalog has no session of its own). A promise holds the message until it settles.
   */
  prepare?: SessionPrepare;
}

/** Lifecycle hooks (idle timeout, statement watchdog, graceful shutdown: src/proxy/lifecycle.ts). */
export interface RelayObserver {
  /** Client messages arrived: the session has work in hand. */
  busy(): void;
  /** Every reply is in: ReadyForQuery with nothing outstanding and nothing queued. */
  idle(status: TransactionStatus): void;
}

const STATUS_NAMES: Record<TransactionStatus, SessionContext['transaction']> = { I: 'idle', T: 'in-transaction', E: 'failed' };

export class Relay implements LendingDoor {
  readonly #o: RelayOptions;
  readonly #tracker = new ResponseTracker<Tag>();
  /** Created on the first Bind (most sessions never bind; an empty Map costs ≈ 250 bytes). */
  #portals: Map<string, PortalInfo> | undefined;
  /** Poison text: a syntax error that names this session's random token, so it can never be valid SQL. */
  readonly #poison = `parapet_denied_${randomBytes(6).toString('hex')}`;
  #inbox: Frame[] = [];
  #inboxHead = 0;
  #pumping = false;
  readonly #hold: CorkedHold;
  /** After a refused extended-protocol message: drop messages until Sync, as the server does after an error. */
  #discarding = false;
  /** A decision is pending; a CancelRequest now cancels it here instead of upstream. */
  #held: Held | undefined;
  /** Why reading from the client is paused: 'inbox' (too many messages queued), 'upstream' (its socket must drain). Created on the first pause. */
  #pauses: Set<'inbox' | 'upstream'> | undefined;
  #ended = false;
  /** An Execute whose result cap ends it with an error is in this Sync segment: more work behind it is refused. */
  #capFence = false;
  /** The simple Query being decided: Parapet may run its own SQL on the session (see `lend`). */
  #deciding: { sql: string; bytes: Buffer } | undefined;
  /** Extended-protocol messages came since the last Sync: the server may be inside their segment (no loans, no prepare). */
  #inSegment = false;
  readonly #accounting: ReplyAccounting;
  readonly #replies: RelayReplies;
  readonly #loans: SessionLoans;
  readonly #lender: SessionLender = { lend: (work) => this.#loans.borrow(work) };
  /** Set before `start()` by whoever runs the session's lifecycle. */
  observer: RelayObserver | undefined;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#accounting = new ReplyAccounting(options.registry, options.audit);
    this.#hold = new CorkedHold(options.upstream.socket);
    this.#replies = new RelayReplies(options, this.#tracker, this.#accounting, {
      ended: () => this.#ended,
      ready: (status) => this.#ready(status),
      abortUpstream: () => this.#toUpstream(queryMessage(this.#poison)),
      end: (reason, error) => this.end(reason, error),
    });
    const replies = this.#replies;
    this.#loans = new SessionLoans({
      upstream: options.upstream,
      listener: replies.listener,
      ended: () => this.#ended,
      status: () => replies.status,
      busy: () => this.#tracker.pending > 0 || replies.busy,
      release: () => this.#hold.release(),
    });
  }

  /** Wires the sockets. Frames the readers already hold are processed first. */
  start(): void {
    const { client, upstream } = this.#o;
    client.on('data', (chunk: Buffer) => this.#onClientData(chunk));
    upstream.socket.on('data', this.#replies.listener);
    upstream.socket.on('close', () => this.#upstreamGone());
    upstream.socket.on('error', () => this.#upstreamGone());
    this.#inbox.push(...(this.#o.initialFrames ?? []));
    this.#replies.listener(Buffer.alloc(0));
    this.#onClientData(Buffer.alloc(0));
    if (this.#inbox.length > 0) void this.#pump();
    client.resume();
    upstream.socket.resume();
  }

  /** The authenticated actor of this session. */
  get actor(): Actor {
    return this.#o.actor;
  }

  /** Transaction status as of the last ReadyForQuery. */
  get status(): TransactionStatus {
    return this.#replies.status;
  }

  /** A CancelRequest for this session: cancel a held statement here, else forward to the server. */
  cancel(): void {
    if (this.#held) this.#held.cancelled = true;
    if (!this.#held || this.#loans.lent) void this.#o.upstream.cancel().catch((error: unknown) => this.#o.log.warn(`cancel: ${(error as Error).message}`));
  }

  /** The simple Query being decided, if any (exact counts run it on the session while it is decided). */
  get deciding(): { sql: string; bytes: Buffer } | undefined {
    return this.#deciding;
  }

  /**
   * Lends the client's upstream session to Parapet's own work (an impact estimate, an exact run)
   * while a simple Query is being decided and no extended-protocol segment is open: once every
   * earlier reply is in (or at once, refused, with `wait: false`), with the relay's upstream listener
   * detached meanwhile. Refusals are `LendRefused` and send nothing upstream.
   */
  lend<T>(work: (link: UpstreamLink) => Promise<T>, options: { wait?: boolean } = {}): Promise<T> {
    if (!this.#deciding) return Promise.reject(new LendRefused('not-deciding'));
    if (this.#inSegment) return Promise.reject(new LendRefused('segment-open'));
    return this.#loans.borrow(() => work(this.#o.upstream), options);
  }

  /** One query of Parapet's own on the session (`lend`): the impact estimate's EXPLAIN. */
  run(sql: string): Promise<SimpleQueryResult> {
    return this.lend((link) => simpleQueryResult(asConnection(link), sql, { timeoutMs: 10_000 }));
  }

  /** Ends the session from outside (client gone, server shutting down). */
  end(reason: string, error?: PgErrorFields): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#replies.flush();
    this.#loans.wake();
    const { client, upstream } = this.#o;
    if (error && !client.destroyed) client.end(errorResponse(error));
    else client.end();
    upstream.close();
    this.#o.onEnd(reason);
  }

  // ——— client → upstream ———

  #onClientData(chunk: Buffer): void {
    if (this.#ended) return;
    let frames: Frame[];
    try {
      frames = this.#o.clientReader.push(chunk);
    } catch (error) {
      this.#protocolViolation(error);
      return;
    }
    if (frames.length === 0) return;
    this.observer?.busy();
    this.#inbox.push(...frames);
    if (this.#inbox.length - this.#inboxHead > this.#o.maxPendingMessages) this.#pauseClient('inbox');
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const upstream = this.#o.upstream.socket;
    try {
      upstream.cork();
      while (this.#inboxHead < this.#inbox.length && !this.#ended) {
        const frame = this.#inbox[this.#inboxHead++]!;
        const work = this.#handle(frame);
        if (work) await this.#hold.during(work);
      }
      this.#inbox = [];
      this.#inboxHead = 0;
      this.#resumeClient('inbox');
    } catch (error) {
      if (error instanceof ProtocolError) this.#protocolViolation(error);
      else {
        this.#o.log.error(`session failed: ${(error as Error).stack ?? String(error)}`);
        this.end('internal error', { severity: 'FATAL', code: 'XX000', message: 'parapet: internal error; the session is closed' });
      }
    } finally {
      upstream.uncork();
      this.#pumping = false;
    }
  }

  /** Handles one client message; returns a promise only when it must wait (a decision). */
  #handle(frame: Frame): Promise<void> | undefined {
    const message = decodeFrontend(frame, 'ready');
    if (this.#tracker.copyIn && !['CopyData', 'CopyDone', 'CopyFail', 'Sync', 'Flush', 'Terminate'].includes(message.type)) {
      throw new ProtocolError('unexpected-message', `unexpected message type ${message.type} during COPY from stdin`);
    }
    if (this.#discarding && message.type !== 'Sync' && message.type !== 'Terminate' && message.type !== 'Flush') return undefined;
    // Never inside an unsynced segment: its replies may wait for the Sync, and a loan waits for them.
    const opens = !this.#inSegment && (message.type === 'Query' || message.type === 'FunctionCall' || SEGMENT_MESSAGES.has(message.type));
    if (SEGMENT_MESSAGES.has(message.type)) this.#inSegment = true;
    else if (message.type === 'Sync') this.#inSegment = false;
    const prepared = opens ? this.#o.prepare?.(this.#lender) : undefined;
    return prepared ? prepared.then(() => (this.#ended ? undefined : this.#dispatch(frame, message))) : this.#dispatch(frame, message);
  }

  #dispatch(frame: Frame, message: FrontendMessage): Promise<void> | undefined {
    switch (message.type) {
      case 'Query':
        return this.#query(frame, message.sql);
      case 'Parse': {
        if (this.#capFence) return this.#refuse(behindCap(), false);
        const entry = this.#o.registry.parseSent(message.name, message.sql);
        this.#o.guards?.results.parse(message.name, message.sql);
        this.#forward(frame, { kind: 'parse', tag: { type: 'parse', entry } });
        return undefined;
      }
      case 'Bind':
        if (this.#capFence) return this.#refuse(behindCap(), false);
        return this.#bind(frame, message);
      case 'Describe':
        this.#o.guards?.results.describe(message.target, message.name);
        this.#forward(frame, { kind: 'describe', tag: NONE });
        return undefined;
      case 'Execute': {
        if (this.#capFence) return this.#refuse(behindCap(), false);
        const portal = this.#portals?.get(message.portal);
        if (this.#o.guards && portal?.statement.decision.obligations.maxResultRows?.onExceed === 'error') this.#capFence = true;
        this.#o.guards?.results.execute(message.portal);
        this.#forward(frame, { kind: 'execute', tag: { type: 'execute', portal, started: performance.now() } });
        return undefined;
      }
      case 'Close':
        if (message.target === 'P') this.#portals?.delete(message.name);
        this.#o.guards?.results.close(message.target, message.name);
        this.#forward(frame, { kind: 'close', tag: { type: 'close', target: message.target, name: message.name } });
        return undefined;
      case 'Sync':
        this.#discarding = false;
        this.#capFence = false;
        this.#o.guards?.results.sync();
        // During copy-in the server ignores Sync; it must not be expected to answer.
        this.#forward(frame, this.#tracker.copyIn ? undefined : { kind: 'sync', tag: NONE });
        return undefined;
      case 'Flush':
      case 'CopyData':
        this.#forward(frame);
        return undefined;
      case 'CopyDone':
      case 'CopyFail':
        this.#forward(frame);
        this.#tracker.endCopyIn();
        this.#o.guards?.results.copyInEnded();
        return undefined;
      case 'FunctionCall':
        if (this.#capFence) return this.#refuse(behindCap(), false);
        return this.#functionCall(frame, message);
      case 'Terminate':
        this.end('client terminated');
        return undefined;
      default:
        throw new ProtocolError('unexpected-message', `unexpected message ${(message as FrontendMessage).type} after startup`);
    }
  }

  #forward(frame: Frame, unit?: Parameters<ResponseTracker<Tag>['push']>[0]): void {
    this.#expect(unit);
    this.#toUpstream(frame.raw);
  }

  /** Queues the reply a message will get; one the server will ignore (after an error) is booked as skipped now. */
  #expect(unit: Parameters<ResponseTracker<Tag>['push']>[0] | undefined): void {
    const skipped = unit && this.#tracker.push(unit);
    if (skipped) this.#accounting.step({ forward: false, completed: [skipped] });
  }

  #toUpstream(bytes: Buffer): void {
    const socket = this.#o.upstream.socket;
    if (!socket.write(bytes) && !this.#pauses?.has('upstream')) {
      this.#pauseClient('upstream');
      socket.once('drain', () => this.#resumeClient('upstream'));
    }
  }

  #context(): SessionContext {
    return { ...this.#o.context, transaction: STATUS_NAMES[this.#replies.status] };
  }

  async #query(frame: Frame, sql: string): Promise<void> {
    const context = this.#context();
    this.#deciding = { sql, bytes: frame.raw };
    let outcome: Outcome;
    let settled: SettledExact | undefined;
    try {
      outcome = await this.#decide(context, () => this.#o.decider.judge(sql, context));
      // An exact count ran the message already (src/proxy/exact-segment.ts): its reply replaces forwarding it.
      const run = this.#o.guards?.impact?.takePending();
      if (run) settled = await settleExact(run, outcome.refusal, this);
    } finally {
      this.#deciding = undefined;
    }
    if (outcome.refusal && !settled?.failed) {
      this.#sendPoison(outcome.refusal, true, settled?.frames);
      return;
    }
    this.#o.guards?.results.query(outcome.judgement.statements);
    this.#expect({
      kind: 'query',
      tag: { type: 'query', statements: outcome.judgement.statements, seqs: outcome.seqs, index: 0, started: performance.now() },
    });
    if (settled) this.#replies.replay(settled.frames);
    else this.#toUpstream(frame.raw);
  }

  async #bind(frame: Frame, bind: Bind): Promise<void> {
    const sql = this.#o.registry.lookup(bind.statement);
    const context = this.#context();
    const bound = boundValues(bind);
    const outcome = await this.#decide(context, async () => (sql !== undefined ? this.#o.decider.judge(sql, context, bound) : unknownPrepared(bind.statement)), bound.values);
    if (outcome.refusal) {
      this.#portals?.delete(bind.portal);
      this.#sendPoison(outcome.refusal, false);
      this.#discarding = true;
      return;
    }
    const statement = outcome.judgement.statements[0];
    if (statement) (this.#portals ??= new Map()).set(bind.portal, { statement, seq: outcome.seqs[0] });
    else this.#portals?.delete(bind.portal);
    if (statement) this.#o.guards?.results.bind(bind.portal, bind.statement, statement, bind.resultFormats);
    this.#forward(frame, { kind: 'bind', tag: NONE });
  }

  /**
   * A FunctionCall message: with live guards, decided as the SQL call of the function its OID names
   * (text arguments as bound values). Refused without them, for an unknown OID, binary arguments, and
   * for masked actors (its one result value has no column origin to mask by).
   */
  async #functionCall(frame: Frame, call: FunctionCall): Promise<void> {
    const guards = this.#o.guards;
    const binary = call.args.some((arg, i) => arg !== null && (call.argFormats.length === 1 ? call.argFormats[0] : (call.argFormats[i] ?? 0)) === 1);
    if (!guards || guards.masking || binary) return this.#refuse(functionCallRefused(call.functionOid), true);
    const values = call.args.map((arg) => (arg === null ? null : arg.toString('utf8')));
    const named = await guards.functionCall(call.functionOid, call.args.length, values);
    const sql = named?.analysis.statements[0]?.sql;
    if (sql === undefined) return this.#refuse(functionCallRefused(call.functionOid), true);
    const context = this.#context();
    const outcome = await this.#decide(context, () => this.#o.decider.judge(sql, context, { values, binary: values.map(() => false) }), values);
    if (outcome.refusal) {
      this.#sendPoison(outcome.refusal, true);
      return;
    }
    guards.results.functionCall();
    this.#forward(frame, { kind: 'function-call', tag: NONE });
  }

  /** A refusal of the proxy's own, recorded like any decision; the poison makes the server skip as the client is told. */
  async #refuse(judgement: Refusal, simple: boolean): Promise<void> {
    const outcome = await this.#decide(this.#context(), async () => judgement);
    this.#sendPoison(outcome.refusal ?? judgement.refusal.error, simple);
    if (!simple) this.#discarding = true;
  }

  /** Runs a decision while holding the message (a CancelRequest now cancels it here), then makes it durable. */
  async #decide(context: SessionContext, judge: () => Promise<Judgement>, parameters?: (string | null)[]): Promise<Outcome> {
    const held: Held = { cancelled: false };
    this.#held = held;
    try {
      return await decideDurably(this.#o, context, judge, held, parameters);
    } finally {
      this.#held = undefined;
    }
  }

  /**
   * Sends the message that fails upstream in place of a refused one; its error becomes `error`.
   * `failed`: the server's reply to a refused message that already failed there (a rolled-back exact run).
   */
  #sendPoison(error: PgErrorFields, simple: boolean, failed?: Frame[]): void {
    this.#o.guards?.results.poison(simple);
    this.#expect({ kind: 'poison', simple, error, tag: NONE });
    if (failed) this.#replies.replay(failed);
    else this.#toUpstream(simple ? queryMessage(this.#poison) : parseMessage(this.#poison, this.#poison));
  }

  /** A ReadyForQuery reached the client: loans waiting for every reply go ahead, and the lifecycle hears of an idle session. */
  #ready(status: TransactionStatus): void {
    const settled = this.#tracker.pending === 0;
    if (settled) this.#loans.wake();
    if (status === 'I') this.#portals?.clear();
    if (settled && !this.#pumping && this.#inboxHead >= this.#inbox.length) this.observer?.idle(status);
  }

  #upstreamGone(): void {
    if (this.#ended) return;
    this.end('upstream closed', {
      severity: 'FATAL',
      code: '08006',
      message: 'the upstream database closed the connection',
      hint: 'reconnect; if this repeats, the database may be restarting',
    });
  }

  #protocolViolation(error: unknown): void {
    const fields: PgErrorFields =
      error instanceof ProtocolError
        ? { severity: 'FATAL', code: error.sqlstate, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
        : { severity: 'FATAL', code: '08P01', message: 'invalid frontend message' };
    this.end(`protocol violation: ${fields.message}`, fields);
  }

  #pauseClient(reason: 'inbox' | 'upstream'): void {
    const pauses = (this.#pauses ??= new Set());
    if (pauses.size === 0) this.#o.client.pause();
    pauses.add(reason);
  }

  #resumeClient(reason: 'inbox' | 'upstream'): void {
    if (!this.#pauses?.delete(reason)) return;
    if (this.#pauses.size === 0) this.#o.client.resume();
  }
}
