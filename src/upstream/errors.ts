/**
 * Errors of the upstream client: every failure to reach, authenticate with or query the upstream
 * server is an `UpstreamError` with a stable `code`. Messages name the upstream address; they are
 * for Parapet's operator, never shown to proxy clients as-is (they may name upstream roles).
 */
import type { PgErrorFields } from '../protocol/pg-error.js';

export type UpstreamErrorCode =
  /** Nothing listens at the address (ECONNREFUSED, or no socket file). */
  | 'connect-refused'
  /** Any other network failure before the session started (unreachable host, unknown name…). */
  | 'connect-failed'
  /** The connect timeout (or a query timeout) elapsed. */
  | 'timeout'
  /** The server closed the connection unexpectedly. */
  | 'closed'
  /** The server rejected the credentials (SQLSTATE class 28), no password was configured, or its SCRAM signature was wrong. */
  | 'auth-failed'
  /** The server asked for an authentication method Parapet does not speak (GSSAPI, SSPI…). */
  | 'unsupported-auth'
  /** The server refused the session for another reason (database missing, too many connections…). */
  | 'server-error'
  /** The server broke the protocol, or did not accept the pinned session settings. */
  | 'protocol'
  /** A query Parapet ran itself failed; `sqlstate` and `pgError` say why. */
  | 'query-failed'
  /** An upstream URL that cannot be used. */
  | 'bad-url'
  /** The server declined TLS (answered `N`) where sslmode requires it. */
  | 'tls-refused'
  /** The TLS handshake failed: certificate not trusted, host name not in it, unusable TLS files… */
  | 'tls-failed'
  /** channel_binding=require, but the server did not authenticate with SCRAM-SHA-256-PLUS. */
  | 'channel-binding';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly code: UpstreamErrorCode;
  readonly hint: string | undefined;
  /** The server's error fields, when the server reported the failure. */
  readonly pgError: PgErrorFields | undefined;

  constructor(code: UpstreamErrorCode, message: string, options: { hint?: string; pgError?: PgErrorFields; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? options.pgError?.hint;
    this.pgError = options.pgError;
  }

  /** The server's SQLSTATE, when it sent one (e.g. 28P01 for a wrong password). */
  get sqlstate(): string | undefined {
    return this.pgError?.code;
  }
}

/** Classifies a socket error: before the connection was established it is a connect failure. */
export function socketError(error: Error, where: string, connected: boolean): UpstreamError {
  if (connected) return new UpstreamError('closed', `upstream ${where}: ${error.message}`, { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') {
    return new UpstreamError('connect-refused', `connection to upstream ${where} refused`, {
      hint: 'check that PostgreSQL is running and accepts connections at that address',
      cause: error,
    });
  }
  return new UpstreamError('connect-failed', `cannot connect to upstream ${where}: ${error.message}`, { cause: error });
}
