/**
 * Opens the upstream session behind each client session, with Parapet's own credentials (chosen per
 * actor), the client's allowed settings, and — for read-only actors — `default_transaction_read_only`
 * set in the startup options, where `RESET ALL` and `DISCARD ALL` cannot undo it. The setting is
 * verified after login; a server that did not apply it is refused (or, for the embedded database,
 * which ignores startup options, set at session level and watched through ParameterStatus).
 *
 * The embedded database has one backend for everyone, so its provider serves one session at a time
 * (others wait, then get 53300) and resets the backend (`ROLLBACK`, `DISCARD ALL`, `RESET ROLE`)
 * before handing it to the next session, so no actor's settings leak into another's.
 */
import { connectUpstream, type UpstreamConnection, type UpstreamOptions } from '../upstream/connect.js';
import { UpstreamError } from '../upstream/errors.js';
import { simpleQuery } from '../upstream/simple-query.js';
import type { ChannelBindingMode } from '../upstream/connect.js';
import type { UpstreamTlsOptions } from '../upstream/tls.js';
import { parseUpstreamTls } from '../upstream/url.js';
import type { UpstreamCredential } from '../config/types.js';
import type { Actor } from '../policy/types.js';
import { PgError } from '../protocol/pg-error.js';
import type { UpstreamLink, UpstreamProvider, UpstreamRequest } from './ports.js';
import { formatOptions } from './startup-parameters.js';

/** Where the upstream is and Parapet's default credentials, from a `postgres://` URL. */
export interface UpstreamTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** A unix socket directory given as `?host=/dir`. */
  socketPath?: string;
  /** TLS from the URL's sslmode, sslrootcert, sslcert, sslkey, sslsni (libpq semantics; never on a unix socket). */
  tls?: UpstreamTlsOptions;
  channelBinding?: ChannelBindingMode;
}

/** Reads `postgres://user:password@host:port/database?host=/socket/dir`. */
export function parseUpstreamUrl(url: string): UpstreamTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UpstreamError('bad-url', 'the upstream URL cannot be parsed', { hint: 'write it as postgres://user:password@host:5432/database' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UpstreamError('bad-url', `the upstream URL must start with postgres://, not \`${parsed.protocol}//\``);
  }
  const user = decodeURIComponent(parsed.username) || 'postgres';
  const port = parsed.port ? Number(parsed.port) : 5432;
  const socketDir = parsed.searchParams.get('host');
  const target: UpstreamTarget = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    user,
    database: decodeURIComponent(parsed.pathname.slice(1)) || user,
  };
  if (parsed.password) target.password = decodeURIComponent(parsed.password);
  if (socketDir?.startsWith('/')) target.socketPath = `${socketDir}/.s.PGSQL.${port}`;
  const { tls, channelBinding } = parseUpstreamTls(url);
  if (tls && !target.socketPath) target.tls = tls;
  if (channelBinding) target.channelBinding = channelBinding;
  return target;
}

/** The credentials an actor's upstream session uses: the first matching entry, else the URL's. */
export function credentialFor(actor: Actor, credentials: readonly UpstreamCredential[], fallback: { user: string; password?: string }): { user: string; password?: string } {
  for (const entry of credentials) {
    if (entry.actors && !entry.actors.includes(actor.name)) continue;
    if (entry.kinds && !entry.kinds.includes(actor.kind)) continue;
    if (entry.groups && !entry.groups.some((g) => actor.groups.includes(g))) continue;
    return entry.password === undefined ? { user: entry.user } : { user: entry.user, password: entry.password };
  }
  return fallback;
}

export interface DirectProviderOptions {
  target: UpstreamTarget;
  credentials: readonly UpstreamCredential[];
  connectTimeoutMs: number;
}

/** Upstream sessions on a real PostgreSQL server, one per client session. */
export function directProvider(options: DirectProviderOptions): UpstreamProvider {
  const { target } = options;
  return {
    describe: () => `${target.host}:${target.port}`,
    async open(request) {
      const credential = credentialFor(request.actor, options.credentials, target);
      const conn = await connectUpstream(upstreamOptions(target, credential, request, options.connectTimeoutMs));
      try {
        if (request.readOnly) await requireReadOnly(conn, false);
      } catch (error) {
        conn.close();
        throw error;
      }
      return toLink(conn);
    },
  };
}

export interface EmbeddedProviderOptions {
  target: UpstreamTarget;
  connectTimeoutMs: number;
  /** How long a session waits for the single backend before it is refused with 53300. */
  waitMs: number;
}

/** The embedded database: one session at a time, reset before each. */
export function embeddedProvider(options: EmbeddedProviderOptions): UpstreamProvider {
  const gate = new SessionGate();
  const { target } = options;
  return {
    describe: () => `embedded database on ${target.host}:${target.port}`,
    async open(request, signal) {
      const release = await gate.acquire(options.waitMs, signal);
      let conn: UpstreamConnection | undefined;
      try {
        conn = await connectUpstream(upstreamOptions(target, target, request, options.connectTimeoutMs));
        // The backend outlives connections: whatever the previous session left must go.
        await simpleQuery(conn, 'ROLLBACK');
        await simpleQuery(conn, 'DISCARD ALL');
        await simpleQuery(conn, 'RESET ROLE');
        if (request.readOnly) await requireReadOnly(conn, true);
      } catch (error) {
        conn?.close();
        release();
        throw error;
      }
      const link = toLink(conn);
      const close = link.close;
      let released = false;
      link.close = () => {
        close();
        if (!released) {
          released = true;
          release();
        }
      };
      return link;
    },
  };
}

function upstreamOptions(target: UpstreamTarget, credential: { user: string; password?: string }, request: UpstreamRequest, connectTimeoutMs: number): UpstreamOptions {
  const settings = [...request.settings];
  if (request.readOnly) settings.push({ name: 'default_transaction_read_only', value: 'on' });
  const options: UpstreamOptions = {
    host: target.host,
    port: target.port,
    user: credential.user,
    database: request.database,
    parameters: request.parameters,
    connectTimeoutMs,
  };
  if (credential.password !== undefined) options.password = credential.password;
  if (request.applicationName !== undefined) options.applicationName = request.applicationName;
  if (settings.length > 0) options.options = formatOptions(settings);
  if (target.socketPath) options.socketPath = target.socketPath;
  if (target.tls) options.tls = target.tls;
  if (target.channelBinding) options.channelBinding = target.channelBinding;
  return options;
}

/** Checks that the session is read-only by default; `fallback` sets it at session level where startup options are ignored. */
async function requireReadOnly(conn: UpstreamConnection, fallback: boolean): Promise<void> {
  const [[value] = []] = await simpleQuery(conn, 'SHOW default_transaction_read_only');
  if (value === 'on') return;
  if (fallback) {
    await simpleQuery(conn, 'SET default_transaction_read_only = on');
    return;
  }
  throw new UpstreamError('protocol', 'the upstream did not apply default_transaction_read_only from the startup options');
}

function toLink(conn: UpstreamConnection): UpstreamLink {
  return {
    socket: conn.socket,
    reader: conn.reader,
    parameters: Object.fromEntries(conn.parameters),
    processId: conn.processId,
    secretKey: conn.secretKey,
    cancel: () => conn.cancel(),
    close: () => conn.close(),
  };
}

/** One holder at a time, first come first served; a waiter gives up after a timeout or an abort. */
export class SessionGate {
  #busy = false;
  #waiters: Array<() => void> = [];

  acquire(waitMs: number, signal?: AbortSignal): Promise<() => void> {
    const release = (): void => {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#busy = false;
    };
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve(release);
      };
      const leave = (error: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        const at = this.#waiters.indexOf(grant);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(error);
      };
      const abort = (): void => leave(new Error('aborted'));
      const timer = setTimeout(
        () =>
          leave(
            new PgError({
              severity: 'FATAL',
              code: '53300',
              message: `the embedded database serves one session at a time and it stayed busy for ${Math.round(waitMs / 1000)} s`,
              hint: 'close the other session, or configure an upstream PostgreSQL server',
            }),
          ),
        waitMs,
      );
      signal?.addEventListener('abort', abort);
      this.#waiters.push(grant);
    });
  }
}
