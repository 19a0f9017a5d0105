/**
 * Errors of the live catalog, as values with stable codes. Messages are for Parapet's operator and
 * its decisions (they may name upstream objects); they never carry row data.
 */

export type CatalogErrorCode =
  /** A catalog query failed upstream; the catalog stays as it was. */
  | 'query-failed'
  /** The catalog connection could not be opened or was lost. */
  | 'unavailable'
  /** The catalog is read on a client's session (embedded), which is in an aborted transaction. */
  | 'transaction-aborted'
  /** A search_path setting that cannot be read (an unterminated quote…). */
  | 'bad-search-path';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
