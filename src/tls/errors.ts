/**
 * Errors of Parapet's TLS setup toward clients, as values with stable codes. They surface when the
 * proxy starts (a certificate that cannot be used is never a silent plaintext fallback).
 */

export type TlsErrorCode =
  /** A certificate, key or CA file cannot be read. */
  | 'read-file'
  /** The certificate file holds no usable PEM certificate. */
  | 'bad-certificate'
  /** The key cannot be read (encrypted, or not a private key). */
  | 'bad-key'
  /** The key does not belong to the certificate. */
  | 'key-mismatch'
  /** The client-certificate CA file holds no usable certificate. */
  | 'bad-ca';

export class TlsError extends Error {
  override readonly name = 'TlsError';
  readonly code: TlsErrorCode;
  readonly hint: string | undefined;

  constructor(code: TlsErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}
