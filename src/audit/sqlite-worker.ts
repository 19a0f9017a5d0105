/**
 * The SQLite writer thread. better-sqlite3 is synchronous, so every write that may wait happens
 * here, off the proxy's event loop: commits with `synchronous: full` (an fsync each), commits that
 * found another writer's lock on the main thread, prunes, and checkpoints. Each `append` message is
 * one IMMEDIATE transaction (the trail batches one event-loop turn's records into one message: group
 * commit) and is answered only after COMMIT. Search keys are written here too, after commit, in
 * batches (./sqlite-keys.ts), whichever thread committed the records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chainKey } from './chain.js';
import { AuditError } from './errors.js';
import { SqliteAuditDb } from './sqlite-db.js';
import { KEY_BATCH, keyPending } from './sqlite-keys.js';
import { unpack, type WorkerReply, type WorkerRequest, type WorkerSetup } from './sqlite-protocol.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const key = chainKey(setup.hmacKey);

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

function errorOf(err: unknown): { code: string; message: string; hint?: string } {
  if (err instanceof AuditError) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { code: 'write-failed', message: (err as Error).message ?? String(err) };
}

/** How often the WAL is copied back into the database when the main thread commits. */
const CHECKPOINT_MS = 100;
/** WAL frames (pages) beyond which a checkpoint holds writers off until it has copied everything. */
const RESTART_FRAMES = 2000;

/**
 * Commits on the main thread never checkpoint, so their fsyncs never stall the proxy: the WAL is
 * copied back here. PASSIVE blocks no one, but under constant commits it never catches up with
 * the end of the WAL, which then cannot start over and keeps growing; past RESTART_FRAMES a RESTART
 * checkpoint holds writers off until it is through (the main thread hands its batches here
 * meanwhile, where they wait in line behind it) so the next commit starts the WAL from the top.
 */
function checkpoint(): void {
  try {
    const [state] = db.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (state && state.log >= RESTART_FRAMES) {
      db.db.pragma('busy_timeout = 200'); // readers still on the old WAL are not waited for long
      try {
        db.db.pragma('wal_checkpoint(RESTART)');
      } finally {
        db.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    }
  } catch {
    // A checkpoint that cannot run now runs at the next tick; commits do not depend on it.
  }
}

/** How often committed records get their search keys. */
const KEY_MS = 100;

/** Keys every record committed so far, a batch per transaction. */
function keyAll(): void {
  try {
    while (keyPending(db.db, KEY_BATCH) === KEY_BATCH);
  } catch {
    // Keys that cannot be written now are written at the next tick; search reads unkeyed records meanwhile.
  }
}

const busyTimeoutMs = setup.busyTimeoutMs !== undefined ? Math.max(0, Math.floor(setup.busyTimeoutMs)) : 10_000;
let db: SqliteAuditDb;
let checkpoints: ReturnType<typeof setInterval> | undefined;
let keys: ReturnType<typeof setInterval> | undefined;
try {
  db = new SqliteAuditDb({ path: setup.path, synchronous: setup.synchronous });
  db.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.initialise(key, setup.stamp);
  if (setup.checkpoints) checkpoints = setInterval(checkpoint, CHECKPOINT_MS);
  keys = setInterval(keyAll, KEY_MS);
  post({ type: 'ready', algorithm: db.algorithm });
} catch (err) {
  post({ type: 'fatal', error: errorOf(err) });
  port.close();
}

port.on('message', (msg: WorkerRequest) => {
  switch (msg.type) {
    case 'append':
      try {
        post({ type: 'appended', id: msg.id, ...db.append(key, unpack(msg.packed)) });
      } catch (err) {
        post({ type: 'failed', id: msg.id, error: errorOf(err) });
      }
      return;
    case 'prune':
      try {
        post({ type: 'pruned', id: msg.id, result: db.prune(key, msg.before, msg.stamp) });
      } catch (err) {
        post({ type: 'failed', id: msg.id, error: errorOf(err) });
      }
      return;
    case 'close':
      clearInterval(checkpoints);
      clearInterval(keys);
      keyAll();
      checkpoint();
      db.close();
      port.close();
      return;
  }
});
