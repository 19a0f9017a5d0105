/**
 * Catalog reads on a client's own session, lent between its messages — for a database with no
 * session to spare (the embedded PGlite has one backend for everyone). The reads must leave the
 * session exactly as they found it:
 *   - idle: inside BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY, rolled back after;
 *   - in a transaction: inside a random-named savepoint, read-only, rolled back to and released;
 *   - in an aborted transaction: refused (`transaction-aborted`), nothing is sent;
 * with `search_path = pg_catalog` set locally (so `pg_get_viewdef` qualifies every name), only in
 * the extended protocol under random names closed after (the client's unnamed statement and portal
 * survive), and the ParameterStatus and notices these reads cause dropped (borrowed-exchange.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { decodeBackend, type FieldDescription } from '../protocol/backend.js';
import type { TransactionStatus } from '../protocol/codes.js';
import type { FrameReader } from '../protocol/frame-reader.js';
import { UpstreamError } from '../upstream/errors.js';
import { FrameSource } from '../upstream/frame-source.js';
import { closeNamesBytes, exchangeBytes, ExchangeReplies, type ExchangeNames, type ExchangeStep, type StepResult } from './borrowed-exchange.js';
import type { CatalogQueries } from './connection.js';
import { CatalogError } from './errors.js';

/** A session handed over between the client's messages: nobody else reads its socket meanwhile. */
export interface BorrowedSession {
  socket: Socket;
  reader: FrameReader;
  /** The transaction status as of the session's last ReadyForQuery. */
  status: TransactionStatus;
}

/** Who can lend its session: runs `work` once every earlier reply is in, with the socket to itself. */
export interface SessionLender {
  lend<T>(work: (session: BorrowedSession) => Promise<T>): Promise<T>;
}

/** What the catalog reads with, while the session is lent. */
export type CatalogReads = Omit<CatalogQueries, 'close'>;

/** Milliseconds one catalog read may take on the session (`statement_timeout`, local to the reads). */
const TIMEOUT_MS = 10_000;

/**
 * Runs `work` with catalog reads on the borrowed session and restores it. A read that fails rejects
 * with a `CatalogError` (`query-failed`), and later reads of the same loan fail too; a session that
 * cannot be restored to its transaction status rejects with an `UpstreamError` — its state is
 * unknown and the session must end.
 */
export async function withLentQueries<T>(session: BorrowedSession, work: (reads: CatalogReads) => Promise<T>): Promise<T> {
  if (session.status === 'E') {
    throw new CatalogError('transaction-aborted', 'the catalog cannot be read in an aborted transaction');
  }
  const token = randomBytes(6).toString('hex');
  const names: ExchangeNames = { statement: `parapet_catalog_${token}`, portal: `parapet_catalog_${token}` };
  const savepoint = `parapet_catalog_${token}`;
  const source = new FrameSource(session.socket, session.reader, 'the client session', (error) => new UpstreamError('closed', `the client session: ${error.message}`));
  const exchange = async (steps: readonly ExchangeStep[], prefix?: Buffer): Promise<{ results: StepResult[]; status: TransactionStatus }> => {
    const replies = new ExchangeReplies();
    const bytes = exchangeBytes(steps, names);
    session.socket.write(prefix ? Buffer.concat([prefix, bytes]) : bytes);
    while (!replies.push(decodeBackend(await source.next())));
    return { results: replies.results, status: replies.status! };
  };
  const idle = session.status === 'I';
  let over = false;
  let queue: Promise<unknown> = Promise.resolve();
  try {
    const outcome = await settled(async () => {
      const opened = await exchange([
        { kind: 'run', sql: idle ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : `SAVEPOINT ${savepoint}` },
        { kind: 'run', sql: 'SET LOCAL transaction_read_only = on' },
        { kind: 'run', sql: 'SET LOCAL search_path = pg_catalog' },
        { kind: 'run', sql: `SET LOCAL statement_timeout = ${TIMEOUT_MS}` },
      ]);
      let failed = opened.results.find((r) => r.error)?.error?.message;
      // One exchange at a time on the socket, and none once the loan is over.
      const read = (step: ExchangeStep): Promise<StepResult> => {
        const next = queue.catch(() => {}).then(async () => {
          if (over) throw new CatalogError('unavailable', 'the session is no longer lent to the catalog');
          if (failed !== undefined) throw new CatalogError('query-failed', `a catalog read failed earlier on this session: ${failed}`);
          const [result] = (await exchange([step])).results;
          if (!result || result.error) {
            failed = result?.error ? `${result.error.message} (SQLSTATE ${result.error.code})` : 'no reply';
            throw new CatalogError('query-failed', `a catalog query failed: ${failed}`);
          }
          return result;
        });
        queue = next;
        return next;
      };
      return work({
        rows: async (sql) => (await read({ kind: 'run', sql })).rows,
        describe: async (sql): Promise<FieldDescription[]> => (await read({ kind: 'describe', sql })).fields,
      });
    });
    await queue.catch(() => {});
    over = true;
    const restore: ExchangeStep[] = idle
      ? [{ kind: 'run', sql: 'ROLLBACK' }]
      : [
          { kind: 'run', sql: `ROLLBACK TO SAVEPOINT ${savepoint}` },
          { kind: 'run', sql: `RELEASE SAVEPOINT ${savepoint}` },
        ];
    const restored = await exchange(restore, closeNamesBytes(names));
    // The session's state is unknown: that wins over whatever the reads came to.
    if (restored.status !== session.status) {
      throw new UpstreamError('protocol', `the client session's transaction status went from ${session.status} to ${restored.status} across a catalog read`);
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } finally {
    source.release();
  }
}

async function settled<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}
