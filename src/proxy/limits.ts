/**
 * Per-actor limits: how many sessions an actor may hold (53300 beyond that, like PostgreSQL's
 * "too many connections for role"), and the statement timeout that becomes the upstream session's
 * `statement_timeout`. The overall connection limit is checked where sockets are accepted
 * (server.ts); idle timeouts and the statement watchdog run in lifecycle.ts.
 */
import type { ActorLimits, Limits } from '../config/types.js';
import type { Actor } from '../policy/types.js';
import { PgError } from '../protocol/pg-error.js';
import type { UpstreamLink, UpstreamProvider } from './ports.js';

/** The limits that apply to one actor, after its `limits.actors` entry and the global values. */
export interface ActorLimitValues {
  maxConnections?: number;
  idleTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** How long a closed upstream session may take to finish before its socket is cut. */
const UPSTREAM_CLOSE_GRACE_MS = 1000;

/** The keys of `limits` that apply per actor. */
export type ActorLimitSettings = Pick<Limits, 'maxConnectionsPerActor' | 'idleTimeoutMs' | 'statementTimeoutMs' | 'actors'>;

/** Whether an entry's selectors (all that are given) match the actor. */
function selects(entry: ActorLimits, actor: Actor): boolean {
  if (entry.actors && !entry.actors.includes(actor.name)) return false;
  if (entry.kinds && !entry.kinds.includes(actor.kind)) return false;
  if (entry.groups && !entry.groups.some((g) => actor.groups.includes(g))) return false;
  return true;
}

export function limitsFor(actor: Actor, limits: ActorLimitSettings): ActorLimitValues {
  const entry = limits.actors?.find((e) => selects(e, actor));
  const out: ActorLimitValues = {};
  const max = entry?.maxConnections ?? limits.maxConnectionsPerActor;
  const idle = entry?.idleTimeoutMs ?? limits.idleTimeoutMs;
  const statement = entry?.statementTimeoutMs ?? limits.statementTimeoutMs;
  if (max !== undefined) out.maxConnections = max;
  if (idle !== undefined) out.idleTimeoutMs = idle;
  if (statement !== undefined) out.statementTimeoutMs = statement;
  return out;
}

/** Sessions held per actor name. */
export class ActorConnections {
  readonly #counts = new Map<string, number>();

  /** Counts a session for the actor, or throws 53300 when it holds `max` already. Returns the release. */
  admit(actor: Actor, max: number | undefined): () => void {
    const held = this.#counts.get(actor.name) ?? 0;
    if (max !== undefined && held >= max) {
      throw new PgError({
        severity: 'FATAL',
        code: '53300',
        message: `too many connections for actor \`${actor.name}\``,
        detail: `the actor may hold ${max} session${max === 1 ? '' : 's'} at once`,
        hint: 'close an idle session, or ask an administrator to raise the limit (limits.maxConnectionsPerActor or limits.actors)',
      });
    }
    this.#counts.set(actor.name, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(actor.name) ?? 1) - 1;
      if (left > 0) this.#counts.set(actor.name, left);
      else this.#counts.delete(actor.name);
    };
  }

  /** Sessions the actor holds now. */
  held(name: string): number {
    return this.#counts.get(name) ?? 0;
  }
}

export interface LimitedProviderOptions {
  limits: ActorLimitSettings;
  connections: ActorConnections;
  /** Told of every session refused by the per-actor limit. */
  onRefused?(actor: Actor): void;
}

/**
 * Wraps a provider: a session is counted against its actor's limit before its upstream session is
 * opened (and released when that closes), and the actor's statement timeout is appended to the
 * upstream startup settings — after the client's own, so it is the one that holds, and `RESET`
 * returns to it. Closing the link makes sure the upstream connection really ends.
 */
export function limitedProvider(provider: UpstreamProvider, options: LimitedProviderOptions): UpstreamProvider {
  return {
    describe: () => provider.describe(),
    async open(request, signal) {
      const limits = limitsFor(request.actor, options.limits);
      let release: () => void;
      try {
        release = options.connections.admit(request.actor, limits.maxConnections);
      } catch (error) {
        options.onRefused?.(request.actor);
        throw error;
      }
      let link: UpstreamLink;
      try {
        const settings = limits.statementTimeoutMs === undefined ? request.settings : [...request.settings, { name: 'statement_timeout', value: String(limits.statementTimeoutMs) }];
        link = await provider.open({ ...request, settings }, signal);
      } catch (error) {
        release();
        throw error;
      }
      const close = link.close;
      return {
        ...link,
        close() {
          close.call(link);
          // A backend blocked writing a result into a socket the relay paused (back-pressure) reads
          // neither the Terminate nor a cancel: read on and discard, and cut the connection if it is
          // still open a second later, so the upstream session cannot outlive its client.
          link.socket.resume();
          setTimeout(() => link.socket.destroy(), UPSTREAM_CLOSE_GRACE_MS).unref();
          release();
        },
      };
    },
  };
}
