/**
 * The catalog's own upstream session: a separate connection (never a client's session) on which the
 * live catalog reads pg_catalog. Calls run one at a time; a lost connection is reopened on the next
 * call. The session is read-only, with `search_path = pg_catalog` so that `pg_get_viewdef` and
 * friends qualify every user object they name.
 */
import type { FieldDescription } from '../protocol/backend.js';
import { decodeBackend } from '../protocol/backend.js';
import * as fe from '../protocol/encode-frontend.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { UpstreamConnection } from '../upstream/connect.js';
import { UpstreamError } from '../upstream/errors.js';
import { FrameSource } from '../upstream/frame-source.js';
import { simpleQuery } from '../upstream/simple-query.js';
import { CatalogError } from './errors.js';

/** What the catalog needs from a database session. */
export interface CatalogQueries {
  /** Rows of `sql` as text (`null` for SQL NULL). Rejects with a `CatalogError`. */
  rows(sql: string): Promise<(string | null)[][]>;
  /** The fields `sql` would return, from Parse + Describe: the query is planned, never run. */
  describe(sql: string): Promise<FieldDescription[]>;
  close(): void;
  /**
   * The queries run inside a transaction that is not the catalog's (a lent client session, see
   * lent-queries.ts): no transaction control may be sent through them.
   */
  readonly inTransaction?: boolean;
}

export interface CatalogConnectionOptions {
  /** Opens a new upstream session (Parapet's own credentials for the database). */
  open(): Promise<UpstreamConnection>;
  /** Milliseconds a catalog query may take; default 10000. */
  timeoutMs?: number;
}

const SESSION_SETUP = "SET search_path = pg_catalog; SET default_transaction_read_only = on; SET application_name = 'parapet catalog'";

export function catalogConnection(options: CatalogConnectionOptions): CatalogQueries {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let connection: Promise<UpstreamConnection> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function session(): Promise<UpstreamConnection> {
    connection ??= (async () => {
      const conn = await options.open();
      await simpleQuery(conn, `${SESSION_SETUP}; SET statement_timeout = ${Math.max(0, Math.floor(timeoutMs))}`, { timeoutMs });
      return conn;
    })();
    try {
      return await connection;
    } catch (error) {
      connection = undefined;
      throw new CatalogError('unavailable', `the catalog connection cannot be opened: ${(error as Error).message}`, { cause: error });
    }
  }

  function serial<T>(work: (conn: UpstreamConnection) => Promise<T>): Promise<T> {
    const run = queue.catch(() => {}).then(async () => {
      if (closed) throw new CatalogError('unavailable', 'the catalog connection is closed');
      const conn = await session();
      try {
        return await work(conn);
      } catch (error) {
        if (error instanceof UpstreamError && error.code === 'query-failed') {
          throw new CatalogError('query-failed', `a catalog query failed: ${error.message}`, { cause: error });
        }
        if (error instanceof CatalogError) throw error;
        // The session's state is unknown: drop it, the next call reconnects.
        conn.close();
        connection = undefined;
        throw new CatalogError('unavailable', `the catalog connection failed: ${(error as Error).message}`, { cause: error });
      }
    });
    queue = run;
    return run;
  }

  return {
    rows: (sql) => serial((conn) => simpleQuery(conn, sql, { timeoutMs })),
    describe: (sql) => serial((conn) => describeOn(conn, sql)),
    close() {
      closed = true;
      void connection?.then((conn) => conn.close()).catch(() => {});
    },
  };
}

/** Parse + Describe + Sync of the unnamed statement; returns its RowDescription (empty for NoData). */
async function describeOn(conn: UpstreamConnection, sql: string): Promise<FieldDescription[]> {
  const where = conn.socketPath ?? `${conn.host}:${conn.port}`;
  const source = new FrameSource(conn.socket, conn.reader, where, (error) => new UpstreamError('closed', `upstream ${where}: ${error.message}`));
  let fields: FieldDescription[] = [];
  let failure: PgErrorFields | undefined;
  try {
    conn.socket.write(Buffer.concat([fe.parse('', sql), fe.describe('S', ''), fe.sync()]));
    for (;;) {
      const message = decodeBackend(await source.next());
      if (message.type === 'RowDescription') fields = message.fields;
      else if (message.type === 'ErrorResponse') failure = message.fields;
      else if (message.type === 'ReadyForQuery') break;
    }
  } finally {
    source.release();
  }
  if (failure) throw new UpstreamError('query-failed', `${failure.message} (SQLSTATE ${failure.code})`, { pgError: failure });
  return fields;
}
