/**
 * Parapet's own statements on an upstream session (role checks, `SET`s, `DISCARD ALL`), over the
 * simple query protocol. Runs only while nobody else reads the socket; calls on one connection run
 * one after another.
 */
import { decodeBackend } from '../protocol/backend.js';
import type { TransactionStatus } from '../protocol/codes.js';
import * as fe from '../protocol/encode-frontend.js';
import type { Frame } from '../protocol/frame-reader.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { UpstreamConnection } from './connect.js';
import { UpstreamError, socketError } from './errors.js';
import { FrameSource } from './frame-source.js';

export interface SimpleQueryResult {
  /** Rows of every statement in order, as text; SQL NULL is `null`. */
  rows: (string | null)[][];
  /** One CommandComplete tag per statement (`SET`, `SELECT 1`, …). */
  commandTags: string[];
  /** Transaction status after the query. */
  status: TransactionStatus;
  /**
   * Messages the server may send at any time that arrived meanwhile (NotificationResponse,
   * NoticeResponse, ParameterStatus), as received, for the caller to forward or drop.
   */
  asynchronous: Frame[];
}

export interface SimpleQueryOptions {
  /** Milliseconds before giving up; the connection is closed then (its state is unknown). 0 = no limit (default). */
  timeoutMs?: number;
}

const running = new WeakMap<UpstreamConnection, Promise<unknown>>();

/** Runs `sql` and returns its rows as text. A server error rejects with `query-failed`; the connection stays usable. */
export async function simpleQuery(conn: UpstreamConnection, sql: string, options: SimpleQueryOptions = {}): Promise<(string | null)[][]> {
  return (await simpleQueryResult(conn, sql, options)).rows;
}

/** `simpleQuery` with command tags, the transaction status and asynchronous messages. */
export function simpleQueryResult(conn: UpstreamConnection, sql: string, options: SimpleQueryOptions = {}): Promise<SimpleQueryResult> {
  const previous = running.get(conn) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(() => run(conn, sql, options));
  running.set(conn, next);
  return next;
}

async function run(conn: UpstreamConnection, sql: string, options: SimpleQueryOptions): Promise<SimpleQueryResult> {
  const where = conn.socketPath ?? `${conn.host}:${conn.port}`;
  const source = new FrameSource(conn.socket, conn.reader, where, (error) => socketError(error, where, true));
  const timer = options.timeoutMs
    ? setTimeout(() => {
        source.fail(new UpstreamError('timeout', `upstream ${where} did not answer Parapet's query within ${options.timeoutMs} ms`));
        conn.socket.destroy();
      }, options.timeoutMs)
    : undefined;
  const result: SimpleQueryResult = { rows: [], commandTags: [], status: 'I', asynchronous: [] };
  let error: PgErrorFields | undefined;
  try {
    conn.socket.write(fe.query(sql));
    for (;;) {
      const frame = await source.next();
      const message = decode(frame, where);
      switch (message.type) {
        case 'DataRow':
          result.rows.push(message.values.map((value) => (value === null ? null : value.toString('utf8'))));
          break;
        case 'CommandComplete':
          result.commandTags.push(message.tag);
          break;
        case 'ErrorResponse':
          error = message.fields;
          break;
        case 'ParameterStatus':
          conn.parameters.set(message.name, message.value);
          result.asynchronous.push(frame);
          break;
        case 'NoticeResponse':
        case 'NotificationResponse':
          result.asynchronous.push(frame);
          break;
        case 'CopyInResponse':
          conn.socket.write(fe.copyFail('COPY FROM STDIN is not supported in Parapet\'s own queries'));
          break;
        case 'RowDescription':
        case 'EmptyQueryResponse':
        case 'CopyOutResponse':
        case 'CopyData':
        case 'CopyDone':
          break;
        case 'ReadyForQuery':
          result.status = message.status;
          if (error) {
            throw new UpstreamError('query-failed', `upstream ${where} failed Parapet's query: ${error.message} (SQLSTATE ${error.code})`, { pgError: error });
          }
          return result;
        default:
          throw new UpstreamError('protocol', `upstream ${where} sent ${message.type} in answer to a simple query`);
      }
    }
  } catch (failure) {
    // Unless the server answered with an error and is ready again, the session's state is unknown.
    if (!(failure instanceof UpstreamError && failure.code === 'query-failed')) conn.socket.destroy();
    throw failure;
  } finally {
    clearTimeout(timer);
    source.release();
  }
}

function decode(frame: Frame, where: string) {
  try {
    return decodeBackend(frame);
  } catch (error) {
    throw new UpstreamError('protocol', `upstream ${where} sent a bad message: ${(error as Error).message}`, { cause: error });
  }
}
