/**
 * The listening socket: accepts client connections and runs one session each. A session's failure
 * is contained in that session; the server itself never stops on bad input.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { errorResponse } from '../protocol/encode-backend.js';
import type { HostPort } from '../config/types.js';
import { acceptClient, type ServerTls } from '../tls/index.js';
import { CancelRegistry } from './cancel-registry.js';
import { SHUTTING_DOWN, SessionLifecycles } from './lifecycle.js';
import type { AuditPort, CredentialsPort, GuardPort, ProxyLog, UpstreamProvider } from './ports.js';
import type { Relay } from './relay.js';
import type { LiveGuardsPort } from './live-guards.js';
import { runSession } from './session.js';

/** How long a client may keep its side open after parapet closed its own. */
const HALF_OPEN_GRACE_MS = 1000;

export interface ProxyServerOptions {
  listen: HostPort;
  guard: GuardPort;
  audit: AuditPort;
  credentials: CredentialsPort;
  upstream: UpstreamProvider;
  log: ProxyLog;
  limits: { maxMessageBytes: number; authTimeoutMs: number; maxPendingMessages: number; maxConnections: number };
  /** TLS toward clients (SSLRequest and direct TLS); absent: plaintext only. */
  tls?: ServerTls | undefined;
  /** Idle and statement timeouts and the graceful drain; absent: none of them. */
  lifecycle?: SessionLifecycles;
  /** The live catalog and result guards per session (src/proxy/live-guards.ts); absent: masking and caps are refused. */
  liveGuards?: LiveGuardsPort;
  /** Wraps a session's own guard in the proxy's checks and metrics that `guard` already carries; identity when absent. */
  decorateGuard?: (guard: GuardPort) => GuardPort;
}

export interface ProxyServer {
  /** Where it listens (the port is the real one when 0 was asked for). */
  address: HostPort;
  /** Client connections open now. */
  readonly connections: number;
  /**
   * Stops accepting, ends every session and resolves when all sockets are closed. With `graceMs`,
   * running statements first get that long to finish (idle sessions end at once).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const cancels = new CancelRegistry();
  const sockets = new Set<Socket>();
  const relays = new Set<Relay>();
  const lifecycle = options.lifecycle ?? new SessionLifecycles({}, options.log);
  const deps = { ...options, cancels, mockSecret: randomBytes(32) };
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {}); // a reset client must never crash the process; 'close' follows
    // Once parapet has ended its side (a FATAL error, a refusal, Terminate), the client has a moment
    // to close its own; one that does not is cut, so a half-open connection cannot hold a socket forever.
    socket.once('finish', () => setTimeout(() => socket.destroy(), HALF_OPEN_GRACE_MS).unref());
    if (sockets.size >= options.limits.maxConnections) {
      lifecycle.events.refused?.('max-connections');
      socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' }));
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const onRefused = (reason: string): void => options.log.info(`client ${socket.remoteAddress}:${socket.remotePort}: ${reason}`);
    void acceptClient(socket, options.tls, { timeoutMs: options.limits.authTimeoutMs, onRefused }).then((accepted) => {
      if (!accepted) return;
      void runSession(
        accepted.socket,
        deps,
        (relay) => {
          relays.add(relay);
          lifecycle.watch(relay, socket);
          socket.once('close', () => relays.delete(relay));
        },
        accepted.tls,
      );
    });
  });
  server.on('error', (error) => options.log.error(`listener: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? { host: options.listen.host, port: bound.port } : options.listen;
  return {
    address,
    get connections() {
      return sockets.size;
    },
    async close({ graceMs = 0 } = {}) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (graceMs > 0) await lifecycle.drain(graceMs);
      for (const relay of relays) relay.end('server shutting down', SHUTTING_DOWN);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
