/**
 * Exact affected-row counts through the proxy: the door's side of src/impact's exact runner.
 *
 * While a simple Query is being decided, the session's impact port may run the message for real on
 * the client's own upstream session (`Relay.lend`), inside a savepoint or a transaction Parapet
 * opens, and hold everything it answers (see src/impact/exact-run.ts). Once the message is decided,
 * `settleExact` keeps the run (allow) or rolls it back (anything else) and hands the relay the frames
 * the client must receive, which it then handles as if the server had just sent them: result guards,
 * reply accounting and the audit outcome all see them. Refused where the run could not be undone or
 * isolated (src/impact/exact-plan.ts): the figure is then unknown and the rule escalates.
 */
import { FrameReader, type Frame } from '../protocol/frame-reader.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { ExactRun, ExactSupport, LentConnection } from '../impact/index.js';
import { LendRefused } from './relay-loans.js';
import type { UpstreamLink } from './ports.js';

/** What the exact support needs from the relay. */
export interface LendingDoor {
  /** The simple Query being decided, if any. */
  readonly deciding: { sql: string; bytes: Buffer } | undefined;
  lend<T>(work: (link: UpstreamLink) => Promise<T>, options?: { wait?: boolean }): Promise<T>;
}

/** Exact-mode support for a session's impact port; `door` is resolved when asked (the relay comes later). */
export function exactSupport(door: () => LendingDoor | undefined): ExactSupport {
  return {
    message() {
      const deciding = door()?.deciding;
      return deciding ? { protocol: 'simple', sql: deciding.sql, bytes: deciding.bytes } : { protocol: 'extended' };
    },
    lend<T>(work: (conn: LentConnection) => Promise<T>): Promise<T> {
      const relay = door();
      if (!relay) return Promise.reject(new LendRefused('ended'));
      return relay.lend((link) => work(link));
    },
  };
}

/** What the client gets for a message whose exact run was pending. */
export interface SettledExact {
  /** The frames to handle as the server's reply, ReadyForQuery last. */
  frames: Frame[];
  /** The statement failed by itself: its own error is in `frames` (not the refusal's). */
  failed: boolean;
}

/**
 * Keeps the run when the message is allowed (`refusal` undefined), else rolls it back with the
 * refusal as the client's error, on the session the run was lent (still being decided). A rolled-back run inside the client's transaction leaves it aborted.
 */
export async function settleExact(run: ExactRun, refusal: PgErrorFields | undefined, door: Pick<LendingDoor, 'lend'>): Promise<SettledExact> {
  // Nothing else can be in flight: the relay handles one client message at a time.
  const bytes = await door.lend(() => (refusal ? run.discard(refusal) : run.keep()), { wait: false });
  const reader = new FrameReader({ maxFrameBytes: Number.MAX_SAFE_INTEGER, startup: false });
  return { frames: reader.push(Buffer.concat(bytes)), failed: run.failed !== undefined };
}
