/**
 * The SQLite writer thread. better-sqlite3 is synchronous, so every write happens here, off the
 * proxy's event loop. Each `append` message is one IMMEDIATE transaction (the trail batches one
 * event-loop turn's records into one message: group commit) and is answered only after COMMIT.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chainKey } from './chain.js';
import { AuditError } from './errors.js';
import { SqliteAuditDb } from './sqlite-db.js';
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

let db: SqliteAuditDb;
try {
  db = new SqliteAuditDb({ path: setup.path, synchronous: setup.synchronous });
  if (setup.busyTimeoutMs !== undefined) db.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(setup.busyTimeoutMs))}`);
  db.initialise(key, setup.stamp);
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
      db.close();
      port.close();
      return;
  }
});
