/**
 * The server side of a client's TLS handshake, on a socket Parapet accepted: after `S` in answer to
 * an SSLRequest, or at once for direct TLS (PostgreSQL 17's `sslnegotiation=direct`, where the first
 * bytes are the ClientHello). ALPN offers only `postgresql`: a client that offers other protocols is
 * refused with a TLS alert, and a direct-TLS client must negotiate it (as PostgreSQL 17 requires, so
 * a TLS connection meant for another service cannot be replayed at Parapet).
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { errorResponse } from '../protocol/encode-backend.js';
import type { ServerTls } from './server-tls.js';

export const ALPN_POSTGRESQL = 'postgresql';

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

/**
 * Runs the handshake on `socket` (paused, with nothing read past the SSLRequest — or with the
 * ClientHello put back by `socket.unshift`). On failure the connection is closed: with a FATAL
 * ErrorResponse over TLS when the handshake itself succeeded, else with whatever alert OpenSSL sent.
 */
export function serverHandshake(socket: Socket, tls: ServerTls, negotiation: TlsNegotiation): Promise<HandshakeResult> {
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: tls.context,
    ALPNProtocols: [ALPN_POSTGRESQL],
    requestCert: tls.clientCertificates !== undefined,
    // Parapet decides about client certificates itself, so the client hears a PostgreSQL error, not an alert.
    rejectUnauthorized: false,
  });
  return new Promise((resolve) => {
    const fail = (reason: string): void => {
      secure.destroy();
      socket.destroy();
      resolve({ ok: false, reason });
    };
    secure.once('error', (error: NodeJS.ErrnoException) => fail(`TLS handshake failed: ${error.code ?? error.message}`));
    secure.once('close', () => fail('the client closed the connection during the TLS handshake'));
    secure.once('secure', () => {
      secure.removeAllListeners('close');
      secure.removeAllListeners('error');
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
        resolve({ ok: false, reason: 'direct TLS without ALPN `postgresql`' });
        return;
      }
      resolve({
        ok: true,
        session: {
          socket: secure,
          negotiation,
          channelBinding: tls.channelBinding,
          clientCertificate: tls.clientCertificates ? clientCertificate(secure) : undefined,
          protocol: secure.getProtocol() ?? 'unknown',
        },
      });
    });
  });
}

function clientCertificate(socket: TLSSocket): ClientCertificate {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return { verified: false, reason: 'no certificate' };
  if (!socket.authorized) return { verified: false, reason: String(socket.authorizationError ?? 'not verified') };
  const cn = peer.subject?.CN as string | string[] | undefined;
  return { verified: true, commonNames: cn === undefined ? [] : Array.isArray(cn) ? cn : [cn] };
}
