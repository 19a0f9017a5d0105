/** Errors of the embedded database, as typed values with stable codes. */

export type EmbeddedErrorCode =
  /** Another live process holds the data directory's lock. */
  | 'EMBEDDED_LOCKED'
  /** The data directory exists but is not a PGlite data directory Parapet made. */
  | 'EMBEDDED_DATA_DIR_INVALID'
  /** The shipped pre-seeded data is missing or corrupt. */
  | 'EMBEDDED_ASSET_INVALID'
  /** The database process could not open the database or listen. */
  | 'EMBEDDED_START_FAILED'
  /** The database process exited before it was ready. */
  | 'EMBEDDED_PROCESS_EXITED';

export class EmbeddedError extends Error {
  override readonly name = 'EmbeddedError';
  constructor(
    readonly code: EmbeddedErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The plain-object form that crosses the IPC channel. */
export interface EmbeddedErrorData {
  code: EmbeddedErrorCode;
  message: string;
  hint?: string;
}

export function toErrorData(error: unknown, fallback: EmbeddedErrorCode): EmbeddedErrorData {
  if (error instanceof EmbeddedError) return { code: error.code, message: error.message, hint: error.hint };
  return { code: fallback, message: error instanceof Error ? error.message : String(error) };
}

export function fromErrorData(data: EmbeddedErrorData): EmbeddedError {
  return new EmbeddedError(data.code, data.message, data.hint);
}
