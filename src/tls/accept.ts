/**
 * The first look at a new client connection when TLS is on: a first byte of 0x16 (a TLS handshake
 * record) is direct TLS, handshaken at once; anything else is the usual startup packet (which may be
 * an SSLRequest) and goes to the session untouched.
 */
import type { Socket } from 'node:net';
import { serverHandshake, type TlsSession } from './handshake.js';
import type { ServerTls } from './server-tls.js';

/** First byte of a TLS record carrying a handshake message (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

export type Accepted = { socket: Socket; tls?: TlsSession } | undefined;

export interface AcceptOptions {
  /** Milliseconds for the first bytes and a direct handshake to arrive (the session's auth timeout). */
  timeoutMs: number;
  /** Told why a connection ended before its session started. */
  onRefused?: (reason: string) => void;
}

/**
 * Resolves with the socket the session should speak on (and its TLS session for direct TLS), or
 * undefined when the connection ended here. Without TLS configured it resolves at once.
 */
export async function acceptClient(socket: Socket, tls: ServerTls | undefined, options: AcceptOptions): Promise<Accepted> {
  if (!tls) return { socket };
  const timer = setTimeout(() => {
    options.onRefused?.(`no TLS handshake or startup packet within ${options.timeoutMs} ms`);
    socket.destroy();
  }, options.timeoutMs);
  try {
    const first = await firstChunk(socket);
    if (!first) return undefined;
    socket.unshift(first);
    if (first[0] !== TLS_HANDSHAKE_RECORD) return { socket };
    const result = await serverHandshake(socket, tls, 'direct');
    if (!result.ok) {
      options.onRefused?.(result.reason);
      return undefined;
    }
    return { socket: result.session.socket, tls: result.session };
  } finally {
    clearTimeout(timer);
  }
}

/** The first chunk the client sends, with the socket paused again; undefined when it closes first. */
function firstChunk(socket: Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      socket.pause();
      done(chunk);
    };
    const onClose = (): void => done(undefined);
    const done = (chunk: Buffer | undefined): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onClose);
      resolve(chunk);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('end', onClose);
  });
}
