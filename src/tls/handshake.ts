/**
 * The server side of a client's TLS handshake, on a socket Parapet accepted: after `S` in answer to
 * an SSLRequest, or at once for direct TLS (PostgreSQL 17's `sslnegotiation=direct`, where the first
 * bytes are the ClientHello). ALPN offers only `postgresql`: a client that offers other protocols is
 * refused with a TLS alert, and a direct-TLS client must negotiate it (as PostgreSQL 17 requires, so
 * a TLS connection meant for another service cannot be replayed at Parapet).
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { errorResponse } from '../protocol/encode-backend.js';
import { ALPN_POSTGRESQL } from './alpn.js';
import type { ServerTls } from './server-tls.js';

export { ALPN_POSTGRESQL };

/** How the client asked for TLS. */
export type TlsNegotiation = 'ssl-request' | 'direct';

/** The client's certificate as verified against the configured CA. */
export type ClientCertificate =
  | { verified: true; /** Subject CNs (normally one). */ commonNames: string[] }
  | { verified: false; /** OpenSSL's verdict, or `no certificate`. */ reason: string };

/** An encrypted client connection. */
export interface TlsSession {
  socket: TLSSocket;
  negotiation: TlsNegotiation;
  /** `tls-server-end-point` data for SCRAM-SHA-256-PLUS (Parapet's certificate hash); undefined when unavailable. */
  channelBinding: Buffer | undefined;
  /** Present when client certificates are configured. */
  clientCertificate: ClientCertificate | undefined;
  /** `TLSv1.3`, … */
  protocol: string;
}

export type HandshakeResult = { ok: true; session: TlsSession } | { ok: false; reason: string };

type Outcome = { ok: true; socket: TLSSocket } | { ok: false; reason: string };

/**
 * Handshakes in flight per TLS server, keyed by the client's address and port, which are unique
 * among open connections and the same on the raw socket and its TLSSocket.
 */
const pending = new WeakMap<TlsServer, Map<string, (outcome: Outcome) => void>>();

function handshakesOf(server: TlsServer): Map<string, (outcome: Outcome) => void> {
  let map = pending.get(server);
  if (map) return map;
  map = new Map();
  const waiting = map;
  const settle = (socket: TLSSocket, outcome: Outcome): void => {
    const resolve = waiting.get(peerKey(socket));
    if (resolve) resolve(outcome);
    else socket.destroy();
  };
  server.on('secureConnection', (socket: TLSSocket) => settle(socket, { ok: true, socket }));
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    settle(socket, { ok: false, reason: `TLS handshake failed: ${error.code ?? error.message}` });
    socket.destroy();
  });
  pending.set(server, map);
  return map;
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/**
 * Runs the handshake on `socket` (paused, with nothing read past the SSLRequest — or with the
 * ClientHello put back by `socket.unshift`). On failure the connection is closed: with a FATAL
 * ErrorResponse over TLS when the handshake itself succeeded, else with whatever alert OpenSSL sent.
 */
export async function serverHandshake(socket: Socket, tls: ServerTls, negotiation: TlsNegotiation): Promise<HandshakeResult> {
  const handshakes = handshakesOf(tls.server);
  const key = peerKey(socket);
  if (socket.destroyed || socket.remotePort === undefined || handshakes.has(key)) {
    socket.destroy();
    return { ok: false, reason: 'the client left before the TLS handshake' };
  }
  const outcome = await new Promise<Outcome>((resolve) => {
    const onClose = (): void => finish({ ok: false, reason: 'the client closed the connection during the TLS handshake' });
    const finish = (result: Outcome): void => {
      handshakes.delete(key);
      socket.off('close', onClose);
      resolve(result);
    };
    handshakes.set(key, finish);
    socket.once('close', onClose);
    tls.server.emit('connection', socket);
  });
  if (!outcome.ok) {
    socket.destroy();
    return outcome;
  }
  const secure = outcome.socket;
  secure.on('error', () => {}); // the session attaches its own; a reset must never crash the process
  if (negotiation === 'direct' && secure.alpnProtocol !== ALPN_POSTGRESQL) {
    secure.end(
      errorResponse({
        severity: 'FATAL',
        code: '08P01',
        message: 'received direct TLS connection request without ALPN protocol negotiation extension',
        hint: `a direct-TLS client must offer the ALPN protocol \`${ALPN_POSTGRESQL}\``,
      }),
    );
    return { ok: false, reason: 'direct TLS without ALPN `postgresql`' };
  }
  return {
    ok: true,
    session: {
      socket: secure,
      negotiation,
      channelBinding: tls.channelBinding,
      clientCertificate: tls.clientCertificates ? clientCertificate(secure) : undefined,
      protocol: secure.getProtocol() ?? 'unknown',
    },
  };
}

function clientCertificate(socket: TLSSocket): ClientCertificate {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return { verified: false, reason: 'no certificate' };
  if (!socket.authorized) return { verified: false, reason: String(socket.authorizationError ?? 'not verified') };
  const cn = peer.subject?.CN as string | string[] | undefined;
  return { verified: true, commonNames: cn === undefined ? [] : Array.isArray(cn) ? cn : [cn] };
}
