/**
 * Errors of the wire codec. Every failure to frame, decode or encode a message is a
 * `ProtocolError` with a stable `code`; callers branch on the code, never on the message text.
 */

import type { PgErrorFields, PgSeverity } from './pg-error.js';

/** Stable codes of protocol errors. */
export type ProtocolErrorCode =
  /** A frame length below 4 (the length counts itself) or a startup body too short to hold a code. */
  | 'bad-length'
  /** A frame longer than the reader's limit. */
  | 'frame-too-large'
  /** A TLS ClientHello where a startup packet was expected (direct TLS, PostgreSQL 17+ clients). */
  | 'direct-tls'
  /** A type byte that is not a message of this direction and phase. */
  | 'unknown-message'
  /** A known message at a point where the protocol does not allow it (e.g. Query during auth). */
  | 'unexpected-message'
  /** A payload that does not match its message layout (missing NUL, counts past the end, trailing bytes). */
  | 'malformed-message'
  /** Text that is not valid UTF-8 (the only client encoding Parapet speaks). */
  | 'invalid-utf8'
  /** A startup packet for a protocol major version other than 3. */
  | 'unsupported-protocol'
  /** An encoder was given a value the wire cannot carry (a NUL inside a string, an out-of-range integer). */
  | 'invalid-value'
  /** A SCRAM message that does not follow RFC 5802. */
  | 'scram-malformed'
  /** A SCRAM feature Parapet does not offer (authorization identity, extensions, an unknown channel-binding type). */
  | 'scram-unsupported'
  /** A channel-binding mismatch: a downgrade from SCRAM-SHA-256-PLUS, or binding data of another TLS channel. */
  | 'scram-channel-binding';

const SQLSTATE: Record<ProtocolErrorCode, string> = {
  'bad-length': '08P01',
  'frame-too-large': '08P01',
  'direct-tls': '08P01',
  'unknown-message': '08P01',
  'unexpected-message': '08P01',
  'malformed-message': '08P01',
  'invalid-utf8': '22021',
  'unsupported-protocol': '0A000',
  'invalid-value': 'XX000',
  'scram-malformed': '08P01',
  'scram-unsupported': '08P01',
  'scram-channel-binding': '08P01',
};

/** A wire-level failure. `sqlstate` is what PostgreSQL reports for the same fault. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly hint: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }

  /** SQLSTATE for the ErrorResponse sent to the client (08P01 protocol_violation for most codes). */
  get sqlstate(): string {
    return SQLSTATE[this.code];
  }

  /** The ErrorResponse fields for the peer; FATAL by default, since the connection closes after most of these. */
  toPgErrorFields(severity: PgSeverity = 'FATAL'): PgErrorFields {
    return { severity, code: this.sqlstate, message: this.message, ...(this.hint === undefined ? {} : { hint: this.hint }) };
  }
}
