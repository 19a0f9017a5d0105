/**
 * One client connection from its first byte to the ready phase: SSL negotiation (TLS when configured,
 * see src/tls), GSS negotiation (refused), CancelRequest, the StartupMessage (allow-listed parameters, protocol version), SCRAM
 * authentication as a Parapet actor, the policy's connect decision, the upstream session, and then
 * the relay. Every failure ends only this connection, with a PostgreSQL-shaped error.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import * as be from '../protocol/encode-backend.js';
import { StartupCode } from '../protocol/codes.js';
import { ProtocolError } from '../protocol/errors.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { decodeFrontend, decodeSaslInitialResponse } from '../protocol/frontend.js';
import { PgError, type PgErrorFields } from '../protocol/pg-error.js';
import { ScramServerSession, scramMechanisms } from '../protocol/scram.js';
import { admitClient, serverHandshake, type ServerTls, type TlsSession } from '../tls/index.js';
import { UpstreamError } from '../upstream/errors.js';
import type { Actor } from '../policy/types.js';
import type { CancelRegistry } from './cancel-registry.js';
import { Decider } from './decider.js';
import { denialFields } from './denial.js';
import { GUARDED_CAPABILITIES, type SessionQueries } from './catalog-guards.js';
import { exactSupport } from './exact-segment.js';
import { FramePuller } from './frame-puller.js';
import { withSessionGuard, type LiveGuardsPort, type LiveSessionGuards } from './live-guards.js';
import type { AuditPort, CredentialsPort, GuardPort, ProxyLog, UpstreamLink, UpstreamProvider } from './ports.js';
import { PreparedRegistry } from './prepared-registry.js';
import { Relay } from './relay.js';
import { SessionAudit } from './session-audit.js';
import { ALLOWED_STARTUP_PARAMETERS, READ_ONLY_SETTINGS, judgeStartup, type StartupRequest } from './startup-parameters.js';

/** Everything a session needs from the server that accepted it. */
export interface SessionDeps {
  guard: GuardPort;
  audit: AuditPort;
  credentials: CredentialsPort;
  upstream: UpstreamProvider;
  cancels: CancelRegistry;
  log: ProxyLog;
  /** Random per process: salts the mock SCRAM exchange so an unknown user's salt is stable but unguessable. */
  mockSecret: Buffer;
  limits: { maxMessageBytes: number; authTimeoutMs: number; maxPendingMessages: number };
  /** TLS toward clients; absent: SSLRequest is answered `N`. */
  tls?: ServerTls | undefined;
  /** The live catalog and result guards per session (masking, result caps); absent: those obligations are refused. */
  liveGuards?: LiveGuardsPort | undefined;
  /** Wraps a session's own guard in the proxy's checks and metrics that `guard` already carries; identity when absent. */
  decorateGuard?: ((guard: GuardPort) => GuardPort) | undefined;
}

/** Runs one connection. Never throws: the promise settles when the connection is done with. */
export async function runSession(socket: Socket, deps: SessionDeps, onRelay: (relay: Relay) => void, tls?: TlsSession): Promise<void> {
  const session = new ClientSession(socket, deps, tls);
  try {
    await session.run(onRelay);
  } catch (error) {
    session.fail(error);
  }
}

class ClientSession {
  readonly id = randomBytes(8).toString('hex');
  readonly #reader: FrameReader;
  #puller: FramePuller;
  #audit: SessionAudit;
  #closed = false;
  /** The relay once the session is ready (Parapet's own queries on the session go through it). */
  #relay: Relay | undefined;
  /** The TLS session once the client is encrypted (then `socket` is its TLSSocket). */
  #tls: TlsSession | undefined;

  constructor(
    private socket: Socket,
    private readonly deps: SessionDeps,
    tls?: TlsSession,
  ) {
    this.#tls = tls;
    this.#reader = new FrameReader({ maxFrameBytes: deps.limits.maxMessageBytes, startup: true });
    this.#puller = new FramePuller(socket, this.#reader);
    this.#audit = new SessionAudit(deps.audit, { session: this.id, ...this.#address() }, deps.log);
    socket.on('close', () => (this.#closed = true));
  }

  #address(): { clientAddress?: string } {
    return this.socket.remoteAddress ? { clientAddress: `${this.socket.remoteAddress}:${this.socket.remotePort}` } : {};
  }

  async run(onRelay: (relay: Relay) => void): Promise<void> {
    const timer = setTimeout(() => this.fail(new PgError({ severity: 'FATAL', code: '08006', message: 'canceling authentication due to timeout' })), this.deps.limits.authTimeoutMs);
    let request: StartupRequest;
    let parameters: Record<string, string>;
    let actor: Actor;
    try {
      const startup = await this.#startup();
      if (!startup) return;
      ({ request, parameters } = startup);
      actor = await this.#authenticate(request.user);
    } finally {
      clearTimeout(timer);
    }
    this.#audit = new SessionAudit(
      this.deps.audit,
      {
        session: this.id,
        ...this.#address(),
        ...(request.applicationName !== undefined ? { applicationName: request.applicationName } : {}),
        database: request.database ?? request.user,
      },
      this.deps.log,
    );
    const database = request.database ?? request.user;
    const connect = await this.deps.guard.decideConnect(actor, database, parameters);
    if (connect.action !== 'allow') {
      void this.#audit.sessionEvent('disconnect', { actor, reason: `connection refused: ${connect.rules.join(', ')}` }).catch(() => {});
      throw new PgError({ ...denialFields(connect), severity: 'FATAL' });
    }
    const readOnly = await this.#readOnly(actor, database, connect.obligations.readOnly === true);
    if (readOnly) {
      const touched = request.settings.find((s) => READ_ONLY_SETTINGS.has(s.name));
      if (touched) throw new PgError({ severity: 'FATAL', code: '42501', message: `setting \`${touched.name}\` cannot be changed: this actor's sessions are read-only` });
    }

    // Only the wait for the upstream session is aborted by the client leaving: the listener goes
    // afterwards, so the controller is not held for the whole session.
    const abort = new AbortController();
    const onClose = () => abort.abort();
    this.socket.once('close', onClose);
    let upstream: UpstreamLink;
    try {
      upstream = await this.deps.upstream.open(
        {
          actor,
          database,
          ...(request.applicationName !== undefined ? { applicationName: request.applicationName } : {}),
          parameters: request.passthrough,
          settings: request.settings.map(({ name, value }) => ({ name, value })),
          readOnly,
        },
        abort.signal,
      );
    } catch (error) {
      throw upstreamFailure(error, this.deps.upstream.describe(), this.deps.log);
    } finally {
      this.socket.off('close', onClose);
    }
    if (this.#closed) {
      upstream.close();
      return;
    }
    let guards: LiveSessionGuards | undefined;
    try {
      guards = await this.deps.liveGuards?.forSession(actor, database, upstream, this.#ownQueries());
    } catch (error) {
      upstream.close();
      this.deps.log.error(`session ${this.id}: the live guards cannot start: ${(error as Error).message}`);
      throw new PgError({ severity: 'FATAL', code: '08006', message: 'parapet cannot read the upstream session it needs to guard this one', hint: 'try again later; an administrator must check the upstream database' });
    }
    if (this.#closed) {
      guards?.release();
      upstream.close();
      return;
    }
    this.#ready(actor, upstream, readOnly, database, request, onRelay, guards);
  }

  /**
   * Parapet's own SQL on the session once its relay runs (estimates, exact counts). A method of its
   * own so that these session-long closures hold the session, not the scope of `run`.
   */
  #ownQueries(): SessionQueries {
    return { runner: { query: (sql) => this.#relay!.run(sql) }, exact: exactSupport(() => this.#relay) };
  }

  /** SSLRequest / GSSENCRequest / CancelRequest until the StartupMessage. Returns undefined when the connection is done. */
  async #startup(): Promise<{ request: StartupRequest; parameters: Record<string, string> } | undefined> {
    for (;;) {
      const message = decodeFrontend(await this.#puller.next(), 'startup');
      switch (message.type) {
        case 'SSLRequest':
          if (!this.deps.tls || this.#tls) {
            this.socket.write(be.sslResponse(false));
            continue;
          }
          if (!(await this.#startTls(this.deps.tls))) return undefined;
          continue;
        case 'GSSENCRequest':
          this.socket.write(be.gssencResponse(false));
          continue;
        case 'CancelRequest':
          this.deps.cancels.cancel(message.processId, message.secretKey);
          this.socket.end();
          return undefined;
        case 'StartupMessage': {
          this.#reader.endStartup();
          const judged = judgeStartup(message.parameters);
          if (!judged.ok) throw new PgError(judged.error);
          const minor = message.protocolVersion & 0xffff;
          if (minor > 0 || judged.request.protocolOptions.length > 0) {
            this.socket.write(be.negotiateProtocolVersion(StartupCode.ProtocolV3 & 0xffff, judged.request.protocolOptions));
          }
          // The guard decides what could change the session: `options` (each `-c` as a SET) and anything
          // not allow-listed. The allow-listed formatting parameters are harmless and pass as they are.
          const parameters = Object.fromEntries(
            Object.entries(message.parameters).filter(([name]) => !name.startsWith('_pq_.') && !ALLOWED_STARTUP_PARAMETERS.has(name.toLowerCase())),
          );
          return { request: judged.request, parameters };
        }
        default:
          throw new ProtocolError('unexpected-message', `unexpected ${message.type} before the startup message`);
      }
    }
  }

  /**
   * `S`, then the TLS handshake on this socket; the session goes on over TLS. False when the
   * handshake failed and the connection is closed. Plaintext bytes already sent behind the SSLRequest
   * are refused (they could be injected by a man in the middle, CVE-2021-23214).
   */
  async #startTls(tls: ServerTls): Promise<boolean> {
    if (this.#puller.detach().length > 0 || this.#reader.bufferedBytes > 0) {
      throw new PgError({ severity: 'FATAL', code: '08P01', message: 'received unencrypted data after SSL request', hint: 'this may indicate a client bug or a man-in-the-middle attack' });
    }
    this.socket.write(be.sslResponse(true));
    const result = await serverHandshake(this.socket, tls, 'ssl-request');
    if (!result.ok) {
      this.#closed = true;
      this.deps.log.info(`session ${this.id}: ${result.reason}`);
      return false;
    }
    this.#tls = result.session;
    this.socket = result.session.socket;
    this.socket.on('close', () => (this.#closed = true));
    this.#puller = new FramePuller(this.socket, this.#reader);
    return true;
  }

  /**
   * SCRAM-SHA-256 against the actor's verifier (SCRAM-SHA-256-PLUS offered on TLS), after what TLS
   * demands (see src/tls/admission.ts). An unknown actor (or one without a secret) runs the mock
   * exchange, and every failure is the same 28P01, so the answer does not tell which actors exist.
   */
  async #authenticate(user: string): Promise<Actor> {
    const actor = this.deps.guard.actor(user);
    const admission = admitClient(this.deps.tls, this.#tls, user, actor !== undefined);
    if (!admission.ok) {
      void this.#audit.sessionEvent('auth-failure', { user, reason: admission.reason }).catch(() => {});
      throw new PgError(admission.error);
    }
    if (admission.passwordless && actor) {
      this.socket.write(be.authenticationOk());
      return actor;
    }
    const verifier = actor ? this.deps.credentials.verifier(user) : undefined;
    const channelBinding = this.#tls?.channelBinding;
    const scram = actor && verifier ? new ScramServerSession(verifier, { channelBinding }) : ScramServerSession.mock(user, this.deps.mockSecret, { channelBinding });
    const mechanisms = scramMechanisms(channelBinding);
    this.socket.write(be.authenticationSASL(mechanisms));
    const first = decodeFrontend(await this.#puller.next(), 'auth');
    if (first.type !== 'PasswordMessage') throw new ProtocolError('unexpected-message', 'expected SASL response');
    const initial = decodeSaslInitialResponse(first.data);
    if (!mechanisms.includes(initial.mechanism) || !initial.response) {
      throw new PgError({ severity: 'FATAL', code: '28000', message: 'client selected an invalid SASL authentication mechanism' });
    }
    this.socket.write(be.authenticationSASLContinue(scram.clientFirst(initial.response, initial.mechanism)));
    const final = decodeFrontend(await this.#puller.next(), 'auth');
    if (final.type !== 'PasswordMessage') throw new ProtocolError('unexpected-message', 'expected SASL response');
    const result = scram.clientFinal(final.data);
    if (!result.ok || !actor) {
      void this.#audit.sessionEvent('auth-failure', { user, reason: result.ok ? 'no secret' : result.reason }).catch(() => {});
      throw new PgError({ severity: 'FATAL', code: '28P01', message: `password authentication failed for user "${user}"` });
    }
    this.socket.write(Buffer.concat([be.authenticationSASLFinal(result.serverFinal), be.authenticationOk()]));
    return actor;
  }

  /**
   * Whether the actor's sessions must be read-only upstream: the connect decision says so, or the
   * policy attaches the `readOnly` obligation to what the actor may run (a standing obligation shows on
   * any allowed statement, so a probe `SELECT 1` reveals it).
   */
  async #readOnly(actor: Actor, database: string, fromConnect: boolean): Promise<boolean> {
    if (fromConnect) return true;
    const probe = await this.deps.guard.evaluate({ sql: 'SELECT 1', actor, session: { database, door: 'proxy', transaction: 'idle' } });
    return probe.decision.obligations.readOnly === true;
  }

  #ready(actor: Actor, upstream: UpstreamLink, readOnly: boolean, database: string, request: StartupRequest, onRelay: (relay: Relay) => void, guards?: LiveSessionGuards): void {
    const registry = new PreparedRegistry();
    const decider = new Decider({
      guard: guards ? withSessionGuard(this.deps.guard, guards, this.deps.decorateGuard ?? ((guard) => guard)) : this.deps.guard,
      actor,
      readOnlySession: readOnly,
      lookupPrepared: (name) => registry.lookup(name),
      // The relay feeds every reply through the session's result guards (masking, both cap modes), and
      // counts writes exactly where the policy asks (src/proxy/exact-segment.ts).
      ...(guards ? { capabilities: GUARDED_CAPABILITIES } : {}),
    });
    const leftovers = this.#puller.detach();
    let key: { processId: number; secretKey: Buffer } | undefined;
    const relay = new Relay({
      client: this.socket,
      clientReader: this.#reader,
      initialFrames: leftovers,
      upstream,
      actor,
      decider,
      registry,
      audit: this.#audit,
      context: {
        ...this.#address(),
        ...(request.applicationName !== undefined ? { applicationName: request.applicationName } : {}),
        database,
        door: 'proxy',
      },
      readOnly,
      maxPendingMessages: this.deps.limits.maxPendingMessages,
      log: this.deps.log,
      ...(guards ? { guards } : {}),
      ...(guards?.prepare ? { prepare: guards.prepare } : {}),
      onEnd: (reason) => {
        guards?.release();
        if (key) this.deps.cancels.unregister(key.processId);
        void this.#audit.sessionEvent('disconnect', { actor, reason }).catch(() => {});
      },
    });
    this.#relay = relay;
    key = this.deps.cancels.register(relay);
    const out: Buffer[] = [];
    for (const [name, value] of Object.entries(upstream.parameters)) {
      // The upstream role's name is Parapet's secret; the client sees its own actor name.
      out.push(be.parameterStatus(name, name === 'session_authorization' ? actor.name : value));
    }
    out.push(be.backendKeyData(key.processId, key.secretKey), be.readyForQuery('I'));
    this.socket.write(Buffer.concat(out));
    void this.#audit.sessionEvent('connect', { actor }).catch((error: unknown) => this.deps.log.error(`audit: ${(error as Error).message}`));
    this.socket.on('close', () => relay.end('client closed'));
    this.socket.on('error', () => relay.end('client connection error'));
    onRelay(relay);
    relay.start();
  }

  /** Ends the connection with an error the client can read (nothing for a direct-TLS start). */
  fail(error: unknown): void {
    if (this.#closed || this.socket.destroyed) return;
    this.#closed = true;
    if (error instanceof ProtocolError && error.code === 'direct-tls') {
      this.socket.destroy();
      return;
    }
    let fields: PgErrorFields;
    if (error instanceof PgError) fields = error.fields;
    else if (error instanceof ProtocolError) fields = { severity: 'FATAL', code: error.sqlstate, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
    else if (error instanceof Error && error.message === 'client closed the connection') {
      this.socket.destroy();
      return;
    } else {
      this.deps.log.error(`session ${this.id} failed: ${(error as Error)?.stack ?? String(error)}`);
      fields = { severity: 'FATAL', code: 'XX000', message: 'parapet: internal error; the connection is closed' };
    }
    this.socket.end(be.errorResponse({ ...fields, severity: 'FATAL' }));
  }
}

/** What a client sees when its upstream session cannot be opened: prompt and clear, no upstream names. */
function upstreamFailure(error: unknown, target: string, log: ProxyLog): PgError {
  if (error instanceof PgError) return error;
  if (error instanceof UpstreamError) {
    log.warn(`upstream ${target}: ${error.message}`);
    if (error.pgError?.code === '57P03') {
      return new PgError({ severity: 'FATAL', code: '57P03', message: 'the database system is starting up or shutting down', hint: 'try again in a moment' });
    }
    if (error.pgError?.code === '3D000') {
      return new PgError({ severity: 'FATAL', code: '3D000', message: error.pgError.message });
    }
    if (error.code === 'auth-failed') {
      return new PgError({ severity: 'FATAL', code: '08006', message: 'parapet could not log in to the upstream database', hint: 'an administrator must check the upstream credentials in the parapet configuration' });
    }
  } else {
    log.error(`upstream ${target}: ${(error as Error)?.message ?? String(error)}`);
  }
  return new PgError({
    severity: 'FATAL',
    code: '08006',
    message: 'the upstream database is not reachable',
    hint: 'try again later; parapet keeps running and connects again once the database is back',
  });
}
