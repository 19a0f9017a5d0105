/**
 * The exact affected-row check, on the session's own upstream connection (lent by the door between
 * the client's messages). The client's message — a simple Query holding one write — runs inside a
 * savepoint, or inside a transaction Parapet opens when the session is idle; its results are held
 * (RETURNING rows included) until the count is known; then the door keeps it or rolls it back.
 *
 *   idle:            BEGIN → [count] → message → [count] → COMMIT            | ROLLBACK
 *   in transaction:  SAVEPOINT p → [count] → message → [count] → RELEASE p   | ROLLBACK TO p; RELEASE p; <poison>
 *
 * `[count]` reads the transaction's row statistics (`pg_stat_xact_user_tables`) when every changed
 * row must be counted — cascaded foreign keys, triggers, writable CTEs — else the command tag counts.
 * Transaction state stays in agreement with the client's view:
 *   - kept: the client sees the statement's own results and the status it would have seen;
 *   - denied: the client sees Parapet's error; an open transaction is left aborted (as any denial
 *     leaves it), by a statement certain to fail after the rollback to the savepoint;
 *   - a genuine error in the statement: its error goes to the client and the transaction stays
 *     aborted — never "recovered" by rolling back to the savepoint (an idle session's transaction,
 *     which Parapet opened, is rolled back, as the implicit one would have been).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { BackendCode } from '../protocol/codes.js';
import { decodeBackend } from '../protocol/backend.js';
import { errorResponse, readyForQuery } from '../protocol/encode-backend.js';
import * as fe from '../protocol/encode-frontend.js';
import type { Frame, FrameReader } from '../protocol/frame-reader.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import { UpstreamError } from '../upstream/errors.js';
import { FrameSource } from '../upstream/frame-source.js';
import { commandTagCount } from '../results/command-tag.js';

/** The part of an upstream connection the executor needs; the door must have detached its own reader. */
export interface LentConnection {
  socket: Socket;
  reader: FrameReader;
}

export interface ExactRunOptions {
  /** The client's Query message as received. */
  message: Buffer;
  /** Transaction status before it: `I` idle or `T` in a transaction block (`E` cannot run anything). */
  status: 'I' | 'T';
  /** Count every row changed in any table (from the transaction's statistics), not only the command tag. */
  countAll: boolean;
  /** RETURNING rows to hold at most; past it the run is marked `overflowed` and cannot be kept. */
  holdRows: number;
}

export interface ExactRun {
  /** Rows the statement changed; undefined when it failed or its count cannot be read. */
  rows?: number;
  /** The statement failed by itself: `keep` and `discard` both deliver its own error. */
  failed?: PgErrorFields;
  /** More RETURNING rows than `holdRows` came back (the count is then over any limit that set it). */
  overflowed: boolean;
  /** Commit / release and return the frames the client must receive, ReadyForQuery last. */
  keep(): Promise<Buffer[]>;
  /** Roll back and return the client's frames: `denial` as the error (unless the statement failed by itself). */
  discard(denial: PgErrorFields): Promise<Buffer[]>;
}

const COUNT_SQL = 'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text FROM pg_stat_xact_user_tables';

export async function runExact(conn: LentConnection, options: ExactRunOptions): Promise<ExactRun> {
  const token = randomBytes(6).toString('hex');
  const savepoint = `parapet_exact_${token}`;
  const opened = options.status === 'I';
  const io = new Exchange(conn);
  await io.internal(opened ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
  const before = options.countAll ? await io.count() : 0;
  const held = await io.clientMessage(options.message, options.holdRows);
  const run: ExactRun = { overflowed: held.overflowed, keep: async () => [], discard: async () => [] };
  if (held.error) {
    run.failed = held.error;
    run.keep = run.discard = once(async () => {
      if (opened) await io.internal('ROLLBACK');
      return [...held.frames, readyForQuery(opened ? 'I' : 'E')];
    });
    return run;
  }
  const tagged = held.commandTag === undefined ? undefined : commandTagCount(held.commandTag);
  // An unreadable count leaves `rows` unknown: the decision then escalates and the run is discarded.
  const after = options.countAll && before !== undefined ? await io.count() : undefined;
  const counted = options.countAll ? (after !== undefined && before !== undefined ? after - before : undefined) : tagged;
  if (counted !== undefined) run.rows = tagged !== undefined ? Math.max(counted, tagged) : counted;

  const finish = once(async (keep: boolean, denial?: PgErrorFields): Promise<Buffer[]> => {
    if (keep && !held.overflowed) {
      if (!opened) {
        await io.internal(`RELEASE SAVEPOINT ${savepoint}`);
        return [...held.frames, readyForQuery('T')];
      }
      // A deferred constraint can still fail the commit: the client then sees that error in place of
      // the CommandComplete, as PostgreSQL commits an implicit transaction before completing its statement.
      const commit = await io.attempt('COMMIT');
      if (!commit) return [...held.frames, readyForQuery('I')];
      return [...held.frames.filter((f) => f[0] !== BackendCode.CommandComplete), errorResponse(commit), readyForQuery('I')];
    }
    const error = denial ?? { severity: 'ERROR', code: '54000', message: 'the statement returned more rows than parapet holds' };
    if (opened) {
      await io.internal('ROLLBACK');
      return [errorResponse(error), readyForQuery('I')];
    }
    await io.internal(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
    // A denial leaves the client's transaction aborted, as a real error would: make the server agree.
    await io.attempt(`parapet_denied_${token}`);
    return [errorResponse(error), readyForQuery('E')];
  });
  run.keep = () => finish(true);
  run.discard = (denial) => finish(false, denial);
  return run;
}

function once<A extends unknown[]>(fn: (...args: A) => Promise<Buffer[]>): (...args: A) => Promise<Buffer[]> {
  let done: Promise<Buffer[]> | undefined;
  return (...args: A) => (done ??= fn(...args));
}

interface Held {
  frames: Buffer[];
  commandTag?: string;
  error?: PgErrorFields;
  overflowed: boolean;
}

/**
 * Parapet's own queries and the client's message on the lent connection, one at a time. Each
 * exchange reads through its own FrameSource and hands unread bytes back to the reader after.
 */
class Exchange {
  constructor(private readonly conn: LentConnection) {}

  /** Runs Parapet's SQL; fails loudly if it fails (the session state is then unknown to Parapet). */
  async internal(sql: string): Promise<void> {
    const error = await this.attempt(sql);
    if (error) throw new UpstreamError('query-failed', `parapet's \`${sql}\` failed: ${error.message} (SQLSTATE ${error.code})`, { pgError: error });
  }

  /** Runs SQL and returns its error, if any (nothing of it reaches the client). */
  async attempt(sql: string): Promise<PgErrorFields | undefined> {
    let error: PgErrorFields | undefined;
    await this.#exchange(fe.query(sql), (frame) => {
      if (frame.code === BackendCode.ErrorResponse) {
        const message = decodeBackend(frame);
        if (message.type === 'ErrorResponse') error = message.fields;
      }
    });
    return error;
  }

  /** Rows changed so far in the transaction, any table; undefined when it cannot be read. */
  async count(): Promise<number | undefined> {
    let value: number | undefined;
    await this.#exchange(fe.query(COUNT_SQL), (frame) => {
      const message = decodeBackend(frame);
      if (message.type === 'DataRow' && value === undefined) value = Number(message.values[0]?.toString('utf8'));
    });
    return value !== undefined && Number.isFinite(value) ? value : undefined;
  }

  /** Sends the client's message and holds everything it answers, up to (not including) ReadyForQuery. */
  async clientMessage(message: Buffer, holdRows: number): Promise<Held> {
    const held: Held = { frames: [], overflowed: false };
    let rows = 0;
    await this.#exchange(message, (frame) => {
      switch (frame.code) {
        case BackendCode.DataRow:
          if (++rows > holdRows) {
            held.overflowed = true;
            return;
          }
          break;
        case BackendCode.CommandComplete: {
          const m = decodeBackend(frame);
          if (m.type === 'CommandComplete') held.commandTag = m.tag;
          break;
        }
        case BackendCode.ErrorResponse: {
          const m = decodeBackend(frame);
          if (m.type === 'ErrorResponse') held.error = m.fields;
          break;
        }
      }
      held.frames.push(Buffer.from(frame.raw));
    });
    return held;
  }

  async #exchange(bytes: Buffer, onFrame: (frame: Frame) => void): Promise<void> {
    const source = new FrameSource(this.conn.socket, this.conn.reader, 'upstream', (error) => new UpstreamError('closed', `upstream: ${error.message}`));
    try {
      this.conn.socket.write(bytes);
      for (;;) {
        const frame = await source.next();
        if (frame.code === BackendCode.ReadyForQuery) return;
        if (frame.code === BackendCode.CopyInResponse) {
          this.conn.socket.write(fe.copyFail('COPY FROM STDIN cannot run under an exact row count'));
        }
        onFrame(frame);
      }
    } finally {
      source.release();
    }
  }
}
