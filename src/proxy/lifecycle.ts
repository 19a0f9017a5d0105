/**
 * The life of ready sessions after startup: the idle timeout, the statement watchdog, the cancel
 * sent upstream when a client vanishes mid-statement, and the graceful drain on shutdown.
 *
 * A session is `busy` from the moment client messages arrive until every reply is in (the relay's
 * observer hook); otherwise it is idle.
 * - Idle longer than the actor's idle timeout: closed with 57P05 (25P03 inside a transaction).
 * - Busy longer than the actor's statement timeout plus a grace second (the upstream's own
 *   `statement_timeout` should have fired already): cancelled upstream; still busy one timeout
 *   later: closed.
 * - Client gone while busy: the upstream statement is cancelled, since a backend only notices a
 *   closed connection when it next writes to it — a long statement would run on for nothing.
 * - Drain: idle sessions are closed at once with 57P01; busy ones as soon as their reply is in,
 *   or at the deadline.
 */
import type { Socket } from 'node:net';
import type { TransactionStatus } from '../protocol/codes.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import { limitsFor, type ActorLimitSettings, type ActorLimitValues } from './limits.js';
import type { ProxyLog } from './ports.js';
import type { Relay, RelayObserver } from './relay.js';

/** What a lifecycle reports, for metrics. */
export interface LifecycleEvents {
  timeout?(kind: 'idle' | 'statement', relay: Relay): void;
  /** A connection refused at accept because `limits.maxConnections` sessions are open. */
  refused?(reason: 'max-connections'): void;
}

/** Margin after the statement timeout before the watchdog acts, so the upstream's own timeout (with its exact message) fires first. */
const WATCHDOG_GRACE_MS = 1000;

export const SHUTTING_DOWN: PgErrorFields = { severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command', hint: 'parapet is shutting down; reconnect to another instance or try again later' };

export class SessionLifecycles {
  readonly #sessions = new Map<Relay, SessionWatch>();
  #draining: { done: () => void } | undefined;

  constructor(
    private readonly limits: ActorLimitSettings,
    private readonly log: ProxyLog,
    readonly events: LifecycleEvents = {},
  ) {}

  /** Ready sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Takes a ready session in hand; call before `relay.start()`. `socket` is the client's (its close ends the watch). */
  watch(relay: Relay, socket: Socket): void {
    const watch = new SessionWatch(relay, limitsFor(relay.actor, this.limits), this);
    this.#sessions.set(relay, watch);
    relay.observer = watch;
    socket.once('close', () => {
      watch.clientGone();
      this.#sessions.delete(relay);
      if (this.#sessions.size === 0) this.#draining?.done();
    });
    if (this.#draining) setImmediate(() => watch.end('server shutting down', SHUTTING_DOWN));
    else watch.idle();
  }

  /**
   * Lets running statements finish: closes idle sessions now and busy ones once their replies are in.
   * Resolves when no session is left or `graceMs` has passed (the caller then closes the rest).
   */
  drain(graceMs: number): Promise<void> {
    if (this.#sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, graceMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#draining = { done };
      for (const watch of this.#sessions.values()) if (!watch.running) watch.end('server shutting down', SHUTTING_DOWN);
      const busy = [...this.#sessions.values()].filter((w) => w.running).length;
      if (busy > 0) this.log.info(`shutdown: waiting up to ${Math.round(graceMs / 1000)} s for ${busy} running statement${busy === 1 ? '' : 's'}`);
    });
  }

  /** Stops waiting for running statements (a second SIGTERM): the pending drain resolves now. */
  cutDrain(): void {
    this.#draining?.done();
  }

  get draining(): boolean {
    return this.#draining !== undefined;
  }

  /** @internal for SessionWatch */
  logTimeout(kind: 'idle' | 'statement', relay: Relay, message: string): void {
    this.log.info(`session of \`${relay.actor.name}\`: ${message}`);
    this.events.timeout?.(kind, relay);
  }
}

class SessionWatch implements RelayObserver {
  /** Client messages arrived and not every reply is in yet. */
  running = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(
    private readonly relay: Relay,
    private readonly limits: ActorLimitValues,
    private readonly owner: SessionLifecycles,
  ) {}

  busy(): void {
    this.running = true;
    this.#clearIdle();
    const timeout = this.limits.statementTimeoutMs;
    if (timeout !== undefined && !this.#watchdog) this.#arm(timeout + WATCHDOG_GRACE_MS, false);
  }

  idle(status: TransactionStatus = 'I'): void {
    this.running = false;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    if (this.#ended) return;
    if (this.owner.draining) {
      // Deferred: the relay is in the middle of handling the ReadyForQuery that made it idle.
      setImmediate(() => this.end('server shutting down', SHUTTING_DOWN));
      return;
    }
    const timeout = this.limits.idleTimeoutMs;
    if (timeout === undefined) return;
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => {
      const inTransaction = status !== 'I';
      this.owner.logTimeout('idle', this.relay, `idle for ${timeout} ms${inTransaction ? ' inside a transaction' : ''}; closed`);
      this.end(
        'idle timeout',
        inTransaction
          ? { severity: 'FATAL', code: '25P03', message: 'terminating connection due to idle-in-transaction timeout' }
          : { severity: 'FATAL', code: '57P05', message: 'terminating connection due to idle-session timeout' },
      );
    }, timeout);
    this.#idleTimer.unref();
  }

  /** The client closed its connection: a statement still running upstream is cancelled. */
  clientGone(): void {
    this.#clearIdle();
    if (this.#watchdog) clearTimeout(this.#watchdog);
    if (this.running && !this.#ended) this.relay.cancel();
    this.#ended = true;
  }

  end(reason: string, error: PgErrorFields): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearIdle();
    if (this.#watchdog) clearTimeout(this.#watchdog);
    if (this.running) this.relay.cancel();
    this.relay.end(reason, error);
  }

  #arm(ms: number, second: boolean): void {
    this.#watchdog = setTimeout(() => {
      if (!this.running || this.#ended) return;
      const timeout = this.limits.statementTimeoutMs!;
      if (!second) {
        this.owner.logTimeout('statement', this.relay, `statement still running after ${timeout} ms; cancelled`);
        this.relay.cancel();
        this.#arm(timeout, true);
        return;
      }
      this.owner.logTimeout('statement', this.relay, `statement did not stop after its cancel; session closed`);
      this.end('statement timeout', { severity: 'FATAL', code: '57014', message: 'terminating connection: the statement did not stop after its timeout' });
    }, ms);
    this.#watchdog.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
