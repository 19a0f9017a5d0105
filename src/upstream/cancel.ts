/**
 * CancelRequest: asks the upstream server, on a new connection, to cancel a session's running
 * statement. Over TLS when the session itself is (the secret key is a credential for cancelling).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { cancelRequest } from '../protocol/encode-frontend.js';
import { UpstreamError, socketError } from './errors.js';
import { negotiateTls, type UpstreamTlsOptions } from './tls.js';

export interface CancelOptions {
  /** Unix socket path to use instead of host and port. */
  socketPath?: string | undefined;
  /** Milliseconds to wait for the server to take the request. Default 5000. */
  timeoutMs?: number;
  /** Negotiate TLS first, as for the session. */
  tls?: UpstreamTlsOptions | undefined;
}

/**
 * Sends a CancelRequest and resolves when the server has closed the connection (it answers
 * nothing, by design). Whether a statement was cancelled shows on the session being cancelled.
 */
export function sendCancel(host: string, port: number, processId: number, secretKey: Uint8Array, options: CancelOptions = {}): Promise<void> {
  const where = options.socketPath ?? `${host}:${port}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise<void>((resolve, reject) => {
    const socket = options.socketPath ? netConnect({ path: options.socketPath }) : netConnect({ host, port });
    let failure: UpstreamError | undefined;
    const timer = setTimeout(() => {
      failure ??= new UpstreamError('timeout', `upstream ${where} did not take the cancel request within ${timeoutMs} ms`);
      socket.destroy();
    }, timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      if (!options.tls) {
        socket.end(cancelRequest(processId, secretKey));
        return;
      }
      negotiateTls(socket, options.tls, host, where).then(
        (secure?: Socket) => {
          if (!secure) return socket.end(cancelRequest(processId, secretKey));
          secure.on('error', () => {});
          secure.on('data', () => {});
          secure.end(cancelRequest(processId, secretKey));
        },
        (error: UpstreamError) => {
          failure ??= error;
          socket.destroy();
        },
      );
    });
    socket.on('data', () => {}); // the server sends nothing; drain anyway so `close` can fire
    socket.on('error', (error) => (failure ??= socketError(error, where, connected)));
    socket.once('close', () => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve();
    });
  });
}
