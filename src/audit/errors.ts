/**
 * Errors of the audit trail, as values with stable codes. Callers branch on `code`, never on the
 * message text.
 */

/** Stable codes of audit failures. */
export type AuditErrorCode =
  /** The store could not write (disk full, lock timeout, connection lost, worker died). The proxy denies: fail closed. */
  | 'write-failed'
  /** The trail was closed; no more records are accepted. */
  | 'closed'
  /** A configuration value that cannot work (unknown store, bad path, bad option). */
  | 'bad-config'
  /** The store cannot be opened or was written with a different chain algorithm or key. */
  | 'open-failed'
  /** A record that cannot be encoded (non-finite number, unknown kind). */
  | 'bad-record'
  /** A checkpoint file that cannot be read or does not describe a chain. */
  | 'bad-checkpoint'
  /** Retention refused (nothing to prune, or it would remove every record). */
  | 'prune-refused';

/** A failure of the audit trail or one of its stores. */
export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly code: AuditErrorCode;
  readonly hint: string | undefined;

  constructor(code: AuditErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}
