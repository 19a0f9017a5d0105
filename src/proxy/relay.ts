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
 * Upstream → client: frames are forwarded as received (`raw`, no copy), fed to the response tracker
 * to keep order and to attribute completions, and watched for changes to settings Parapet pins.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { BackendCode } from '../protocol/codes.js';
import type { TransactionStatus } from '../protocol/codes.js';
import { errorResponse, parameterStatus, readyForQuery } from '../protocol/encode-backend.js';
import { parse as parseMessage, query as queryMessage } from '../protocol/encode-frontend.js';
import { ProtocolError } from '../protocol/errors.js';
import type { Frame, FrameReader } from '../protocol/frame-reader.js';
import { decodeFrontend, type Bind, type FrontendMessage, type FunctionCall } from '../protocol/frontend.js';
import { parsePgErrorFields, type PgErrorFields } from '../protocol/pg-error.js';
import type { Actor, SessionContext } from '../policy/types.js';
import type { SessionGuards } from '../catalog/session-guards.js';
import type { ResultOutput } from '../results/session-results.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { Decider, Judgement } from './decider.js';
import { boundValues, pseudoStatement } from './bound-values.js';
import { CANCELLED, ProxyRule, denialFields, proxyDenial } from './denial.js';
import type { ProxyLog, UpstreamLink } from './ports.js';
import type { PreparedRegistry } from './prepared-registry.js';
import { NONE, ReplyAccounting, type PortalInfo, type Tag } from './reply-accounting.js';
import { ResponseOrderError, ResponseTracker } from './response-tracker.js';
import type { SessionAudit } from './session-audit.js';
import { PINNED_SETTINGS, READ_ONLY_SETTINGS } from './startup-parameters.js';
import { simpleQueryResult, type SimpleQueryResult } from '../upstream/simple-query.js';
import { asConnection } from './live-guards.js';
import type { BorrowedSession, SessionLender } from '../catalog/lent-queries.js';
import { LendRefused, settleExact, type LendingDoor, type SettledExact } from './exact-segment.js';

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

/** How long messages already forwarded wait, corked, behind a decision on the next one. */
const HOLD_MS = 1;

const STATUS_NAMES: Record<TransactionStatus, SessionContext['transaction']> = { I: 'idle', T: 'in-transaction', E: 'failed' };

export class Relay implements LendingDoor {
  readonly #o: RelayOptions;
  readonly #tracker = new ResponseTracker<Tag>();
  readonly #portals = new Map<string, PortalInfo>();
  /** Poison text: a syntax error that names this session's random token, so it can never be valid SQL. */
  readonly #poison = `parapet_denied_${randomBytes(6).toString('hex')}`;
  #inbox: Frame[] = [];
  #inboxHead = 0;
  #pumping = false;
  /** Sends the upstream bytes held behind a pending decision (see `#holding`). */
  #release: (() => void) | undefined;
  #status: TransactionStatus = 'I';
  /** After a refused extended-protocol message: drop messages until Sync, as the server does after an error. */
  #discarding = false;
  /** A decision is pending; a CancelRequest now cancels it here instead of upstream. */
  #held: { cancelled: boolean } | undefined;
  #pauses = new Set<string>();
  #ended = false;
  /** Upstream frames not handled yet: the result guards may wait for the catalog before a RowDescription. */
  #upstreamQueue: Frame[] = [];
  #upstreamHead = 0;
  #upstreamWaiting = false;
  /** After Parapet ended a statement inside an open transaction: the server's reply to the poison that aborts it is swallowed. */
  #swallowing = false;
  /** An Execute whose result cap ends it with an error is in this Sync segment: more work behind it is refused. */
  #capFence = false;
  /** The simple Query being decided: Parapet may run its own SQL on the session (see `lend`). */
  #deciding: { sql: string; bytes: Buffer } | undefined;
  /** Parapet's own SQL is on the session (`lend`): a CancelRequest now goes upstream as well. */
  #lent = false;
  #idleWaiters: (() => void)[] = [];
  /** Extended-protocol messages came since the last Sync: the server may be inside their segment (no loans, no prepare). */
  #inSegment = false;
  readonly #lender: SessionLender = { lend: (work) => this.#borrow(work) };
  readonly #upstreamListener = (chunk: Buffer): void => this.#onUpstreamData(chunk);
  /** Set before `start()` by whoever runs the session's lifecycle. */
  observer: RelayObserver | undefined;
  readonly #accounting: ReplyAccounting;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#accounting = new ReplyAccounting(options.registry, options.audit);
  }

  /** Wires the sockets. Frames the readers already hold are processed first. */
  start(): void {
    const { client, upstream } = this.#o;
    client.on('data', (chunk: Buffer) => this.#onClientData(chunk));
    upstream.socket.on('data', this.#upstreamListener);
    upstream.socket.on('close', () => this.#upstreamGone());
    upstream.socket.on('error', () => this.#upstreamGone());
    this.#inbox.push(...(this.#o.initialFrames ?? []));
    this.#onUpstreamData(Buffer.alloc(0));
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
    return this.#status;
  }

  /** A CancelRequest for this session: cancel a held statement here, else forward to the server. */
  cancel(): void {
    if (this.#held) this.#held.cancelled = true;
    if (!this.#held || this.#lent) void this.#o.upstream.cancel().catch((error: unknown) => this.#o.log.warn(`cancel: ${(error as Error).message}`));
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
    return this.#borrow(() => work(this.#o.upstream), options);
  }

  /** The session for Parapet's own exchange, once every earlier reply is in; the upstream listener is detached meanwhile. */
  async #borrow<T>(work: (session: BorrowedSession) => Promise<T>, options: { wait?: boolean } = {}): Promise<T> {
    this.#release?.();
    const busy = (): boolean => this.#tracker.pending > 0 || this.#upstreamWaiting || this.#swallowing;
    if (busy() && options.wait === false) throw new LendRefused('busy');
    while (busy() && !this.#ended) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (this.#ended) throw new LendRefused('ended');
    const socket = this.#o.upstream.socket;
    socket.removeListener('data', this.#upstreamListener);
    this.#lent = true;
    try {
      return await work({ socket, reader: this.#o.upstream.reader, status: this.#status });
    } finally {
      this.#lent = false;
      socket.on('data', this.#upstreamListener);
      socket.resume();
    }
  }

  /** One query of Parapet's own on the session (`lend`): the impact estimate's EXPLAIN. */
  run(sql: string): Promise<SimpleQueryResult> {
    return this.lend((link) => simpleQueryResult(asConnection(link), sql, { timeoutMs: 10_000 }));
  }

  /** Ends the session from outside (client gone, server shutting down). */
  end(reason: string, error?: PgErrorFields): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
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
        if (work) await this.#holding(work);
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

  /**
   * Waits for a decision with what was already forwarded still corked, so that a decision made within
   * a few event-loop turns (the usual: the audit commit) sends it and the decided message in one
   * write — one system call and one wake-up of the server, where a Parse then Bind took two. A slower
   * decision (an impact estimate, a review) lets the held bytes go after HOLD_MS, and Parapet's own
   * query on the session (`run`) releases them at once.
   */
  async #holding(work: Promise<void>): Promise<void> {
    const upstream = this.#o.upstream.socket;
    let held = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const release = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.#release = undefined;
      upstream.uncork();
    };
    if (upstream.writableLength > 0) timer = setTimeout(release, HOLD_MS);
    this.#release = release;
    try {
      await work;
    } finally {
      if (held) {
        held = false;
        clearTimeout(timer);
        this.#release = undefined;
      } else {
        upstream.cork();
      }
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
        if (this.#capFence) return this.#refuseBehindCap();
        const entry = this.#o.registry.parseSent(message.name, message.sql);
        this.#o.guards?.results.parse(message.name, message.sql);
        this.#forward(frame, { kind: 'parse', tag: { type: 'parse', entry } });
        return undefined;
      }
      case 'Bind':
        if (this.#capFence) return this.#refuseBehindCap();
        return this.#bind(frame, message);
      case 'Describe':
        this.#o.guards?.results.describe(message.target, message.name);
        this.#forward(frame, { kind: 'describe', tag: NONE });
        return undefined;
      case 'Execute': {
        if (this.#capFence) return this.#refuseBehindCap();
        const portal = this.#portals.get(message.portal);
        if (this.#o.guards && portal?.statement.decision.obligations.maxResultRows?.onExceed === 'error') this.#capFence = true;
        this.#o.guards?.results.execute(message.portal);
        this.#forward(frame, { kind: 'execute', tag: { type: 'execute', portal, started: performance.now() } });
        return undefined;
      }
      case 'Close':
        if (message.target === 'P') this.#portals.delete(message.name);
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
        if (this.#capFence) return this.#refuseBehindCap();
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
    if (!socket.write(bytes) && !this.#pauses.has('upstream')) {
      this.#pauseClient('upstream');
      socket.once('drain', () => this.#resumeClient('upstream'));
    }
  }

  #context(): SessionContext {
    return { ...this.#o.context, transaction: STATUS_NAMES[this.#status] };
  }

  async #query(frame: Frame, sql: string): Promise<void> {
    const context = this.#context();
    this.#deciding = { sql, bytes: frame.raw };
    let outcome: { judgement: Judgement; seqs: number[]; refusal?: PgErrorFields };
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
    if (settled) this.#replay(settled.frames);
    else this.#toUpstream(frame.raw);
  }

  async #bind(frame: Frame, bind: Bind): Promise<void> {
    const sql = this.#o.registry.lookup(bind.statement);
    const context = this.#context();
    const bound = boundValues(bind);
    const outcome = await this.#decide(context, async () => {
      if (sql !== undefined) return this.#o.decider.judge(sql, context, bound);
      const decision = proxyDenial(ProxyRule.unknownPrepared, `prepared statement \`${bind.statement}\` is not known to parapet`, {
        hint: 'send Parse for it in this session before Bind',
      });
      return { statements: [{ analysis: pseudoStatement(`-- Bind of unknown statement ${bind.statement}`), decision }], refusal: { decision, error: denialFields(decision) } };
    }, bound.values);
    if (outcome.refusal) {
      this.#portals.delete(bind.portal);
      this.#sendPoison(outcome.refusal, false);
      this.#discarding = true;
      return;
    }
    const statement = outcome.judgement.statements[0];
    if (statement) this.#portals.set(bind.portal, { statement, seq: outcome.seqs[0] });
    else this.#portals.delete(bind.portal);
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
    if (!guards || guards.masking || binary) return this.#refuseFunctionCall(call.functionOid);
    const values = call.args.map((arg) => (arg === null ? null : arg.toString('utf8')));
    const named = await guards.functionCall(call.functionOid, call.args.length, values);
    const sql = named?.analysis.statements[0]?.sql;
    if (sql === undefined) return this.#refuseFunctionCall(call.functionOid);
    const context = this.#context();
    const outcome = await this.#decide(context, () => this.#o.decider.judge(sql, context, { values, binary: values.map(() => false) }), values);
    if (outcome.refusal) {
      this.#sendPoison(outcome.refusal, true);
      return;
    }
    guards.results.functionCall();
    this.#forward(frame, { kind: 'function-call', tag: NONE });
  }

  async #refuseFunctionCall(oid: number): Promise<void> {
    const decision = proxyDenial(ProxyRule.functionCall, `the FunctionCall message (function oid ${oid}) is not allowed through parapet`, {
      hint: 'call the function from SQL: SELECT f(…)',
    });
    const judgement: Judgement = {
      statements: [{ analysis: pseudoStatement(`-- FunctionCall message: function oid ${oid}`), decision }],
      refusal: { decision, error: denialFields(decision) },
    };
    const outcome = await this.#decide(this.#context(), async () => judgement);
    this.#sendPoison(outcome.refusal ?? judgement.refusal!.error, true);
  }

  /**
   * Runs a decision while holding the message (a CancelRequest now cancels it here), then makes the
   * decision records durable. An audit store that cannot write turns the message into a refusal.
   */
  async #decide(
    context: SessionContext,
    judge: () => Promise<Judgement>,
    parameters?: (string | null)[],
  ): Promise<{ judgement: Judgement; seqs: number[]; refusal?: PgErrorFields }> {
    const held = { cancelled: false };
    this.#held = held;
    try {
      const judgement = await judge();
      let seqs: number[] = [];
      try {
        seqs = await this.#o.audit.decisions(this.#o.actor, context, judgement.statements, parameters);
      } catch (error) {
        this.#o.log.error(`audit: cannot record a decision, refusing the statement: ${(error as Error).message}`);
        const decision = proxyDenial(ProxyRule.auditUnavailable, 'the audit trail cannot record this statement, so it was not run', {
          hint: 'try again later; an administrator must check the audit store',
          sqlstate: '58030',
        });
        return { judgement, seqs, refusal: denialFields(decision) };
      }
      if (held.cancelled) return { judgement, seqs, refusal: CANCELLED };
      return judgement.refusal ? { judgement, seqs, refusal: judgement.refusal.error } : { judgement, seqs };
    } finally {
      this.#held = undefined;
    }
  }

  /**
   * A message behind an Execute whose result cap may end it with an error Parapet makes (the server
   * would run on): refused, so the server skips to Sync as the client does (docs/guards.md, hook point 5).
   */
  async #refuseBehindCap(): Promise<void> {
    const decision = proxyDenial(ProxyRule.resultCapPipelined, 'a message after the Execute of a statement with a result-row limit must wait for its Sync', {
      hint: 'send Sync after the Execute of a capped statement',
    });
    const judgement: Judgement = {
      statements: [{ analysis: pseudoStatement('-- message after a capped Execute in one Sync segment'), decision }],
      refusal: { decision, error: denialFields(decision) },
    };
    const outcome = await this.#decide(this.#context(), async () => judgement);
    this.#sendPoison(outcome.refusal ?? judgement.refusal!.error, false);
    this.#discarding = true;
  }

  /**
   * Sends the message that fails upstream in place of a refused one; its error becomes `error`.
   * `failed`: the server's reply to a refused message that already failed there (a rolled-back exact run).
   */
  #sendPoison(error: PgErrorFields, simple: boolean, failed?: Frame[]): void {
    this.#o.guards?.results.poison(simple);
    this.#expect({ kind: 'poison', simple, error, tag: NONE });
    if (failed) this.#replay(failed);
    else this.#toUpstream(simple ? queryMessage(this.#poison) : parseMessage(this.#poison, this.#poison));
  }

  /** Frames the server already sent on a lent session, handled now as if they had just arrived. */
  #replay(frames: Frame[]): void {
    this.#upstreamQueue.push(...frames);
    this.#drainUpstream();
  }

  // ——— upstream → client ———

  #onUpstreamData(chunk: Buffer): void {
    if (this.#ended) return;
    let frames: Frame[];
    try {
      frames = this.#o.upstream.reader.push(chunk);
    } catch (error) {
      this.#o.log.error(`upstream sent a malformed message: ${(error as Error).message}`);
      this.end('upstream protocol error', { severity: 'FATAL', code: '08P01', message: 'the upstream database sent a malformed message; the session is closed' });
      return;
    }
    if (frames.length === 0) return;
    this.#upstreamQueue.push(...frames);
    this.#drainUpstream();
  }

  /** Handles queued upstream frames in order; stops behind a frame the result guards are still planning. */
  #drainUpstream(): void {
    if (this.#upstreamWaiting) return;
    const client = this.#o.client;
    client.cork();
    try {
      while (this.#upstreamHead < this.#upstreamQueue.length) {
        const frame = this.#upstreamQueue[this.#upstreamHead++]!;
        const out = this.#results(frame);
        if (out instanceof Promise) {
          this.#upstreamWaiting = true;
          this.#o.upstream.socket.pause();
          out.then(
            (ready) => this.#planned(frame, ready),
            (error: unknown) => this.#upstreamFailed(error),
          );
          return;
        }
        this.#onUpstreamFrame(frame, out);
        if (this.#ended) return;
      }
      this.#upstreamQueue = [];
      this.#upstreamHead = 0;
    } catch (error) {
      this.#upstreamFailed(error);
      return;
    } finally {
      client.uncork();
      // An outcome whose ReadyForQuery was not in this read is recorded now, without the end.
      this.#o.audit.readEnded();
    }
    this.#watchClientDrain();
  }

  /** A frame the result guards had to plan (the catalog was asked): handled, then the frames behind it. */
  #planned(frame: Frame, out: ResultOutput): void {
    this.#upstreamWaiting = false;
    if (this.#ended) return;
    try {
      this.#onUpstreamFrame(frame, out);
    } catch (error) {
      this.#upstreamFailed(error);
      return;
    }
    if (!this.#pauses.has('client-drain')) this.#o.upstream.socket.resume();
    this.#drainUpstream();
  }

  /** The frame through the session's result guards (none: sent as it is). */
  #results(frame: Frame): ResultOutput | Promise<ResultOutput> | undefined {
    const guards = this.#o.guards;
    if (!guards || this.#swallowing || frame.code === BackendCode.ParameterStatus) return undefined;
    return guards.results.push(frame);
  }

  #upstreamFailed(error: unknown): void {
    const reason = error instanceof ResponseOrderError ? error.message : (error as Error).stack ?? String(error);
    this.#o.log.error(`upstream response out of order: ${reason}`);
    this.end('response order lost', { severity: 'FATAL', code: 'XX000', message: 'parapet lost track of the upstream responses; the session is closed' });
  }

  #watchClientDrain(): void {
    const client = this.#o.client;
    if (client.writableNeedDrain && !this.#pauses.has('client-drain')) {
      this.#pauses.add('client-drain');
      this.#o.upstream.socket.pause();
      client.once('drain', () => {
        this.#pauses.delete('client-drain');
        if (!this.#upstreamWaiting) this.#o.upstream.socket.resume();
      });
    }
  }

  #onUpstreamFrame(frame: Frame, out?: ResultOutput): void {
    if (this.#swallowing) {
      // The reply to the poison that made the server abort as the client was told: the client gets only ReadyForQuery.
      if (frame.code !== BackendCode.ReadyForQuery) return;
      this.#swallowing = false;
      this.#o.client.write(readyForQuery('E'));
      this.#status = 'E';
      if (this.#tracker.pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      if (this.#tracker.pending === 0 && !this.#pumping && this.#inboxHead >= this.#inbox.length) this.observer?.idle('E');
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
      this.#toUpstream(queryMessage(this.#poison));
      return;
    }
    if (step.replaceWith) client.write(errorResponse(step.replaceWith));
    else if (step.forward) {
      if (out) for (const bytes of out.send) client.write(bytes);
      else client.write(frame.raw);
    }
    const inBlock = this.#status !== 'I';
    const status = this.#accounting.step(step);
    for (const statement of ran) this.#o.guards!.statementRan(statement, inBlock);
    if (status) {
      this.#status = status;
      if (this.#tracker.pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      if (status === 'I') this.#portals.clear();
      if (this.#tracker.pending === 0 && !this.#pumping && this.#inboxHead >= this.#inbox.length) this.observer?.idle(status);
    }
    if (detail.error && (detail.error.severity === 'FATAL' || detail.error.severity === 'PANIC')) {
      this.end('upstream ended the session');
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
    this.end('pinned setting changed', {
      severity: 'FATAL',
      code: '42501',
      message: `the session changed \`${name}\`, which parapet pins; the session is closed`,
    });
    return false;
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

  #pauseClient(reason: string): void {
    if (this.#pauses.size === 0 || !hasClientPause(this.#pauses)) this.#o.client.pause();
    this.#pauses.add(reason);
  }

  #resumeClient(reason: string): void {
    if (!this.#pauses.delete(reason)) return;
    if (!hasClientPause(this.#pauses)) this.#o.client.resume();
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

function hasClientPause(pauses: Set<string>): boolean {
  return pauses.has('inbox') || pauses.has('upstream');
}
