/**
 * The default audit store: one SQLite file in WAL mode; reads use a read-only connection on the
 * caller's thread.
 *
 * Where commits run depends on what a commit costs. With `synchronous: normal` a WAL commit is a few
 * `write()`s and no fsync (durable against a process crash): it runs on the caller's thread, in one
 * transaction per batch, which is cheaper and quicker than a round trip to another thread. The
 * fsyncs happen at checkpoints, and those run in the writer thread (./sqlite-worker.ts), as does
 * every commit that must wait — for another writer's lock (the local commit never waits), and with
 * `synchronous: full`, where each commit fsyncs. Large batches go to the writer thread too: they
 * come under load, when throughput counts more than a round trip, and sealing thousands of records
 * (about 10 µs each) would stall the proxy's event loop for tens of milliseconds.
 */
import { Worker } from 'node:worker_threads';
import { AuditError, type AuditErrorCode } from './errors.js';
import { SqliteAuditDb, type Appended } from './sqlite-db.js';
import { pack, type WorkerFailure, type WorkerReply, type WorkerRequest, type WorkerSetup } from './sqlite-protocol.js';
import { assemble, chainKey, encodeBody, type ChainKey, type EncodedBody } from './chain.js';
import type { AuditRecord, ChainAlgorithm, RecordBody } from './record.js';
import type { AuditStore, ChainHead, PruneResult, ReadRange, SearchQuery, StoredRow } from './store.js';

export interface SqliteStoreOptions {
  path: string;
  /** `normal` (default): survives a process crash. `full`: also survives power loss, slower. */
  synchronous?: 'normal' | 'full';
  hmacKey?: string;
  /** How long a write waits for another writer's lock before failing (default 10000 ms). */
  busyTimeoutMs?: number;
  instance: string;
}

type Pending = { resolve(reply: WorkerReply): void; reject(err: AuditError): void };

function failure(error: WorkerFailure): AuditError {
  return new AuditError(error.code as AuditErrorCode, error.message, error.hint ? { hint: error.hint } : {});
}

/** Where the worker's code is: the compiled .js, or the .ts source when running under tsx (tests). */
function startWorker(setup: WorkerSetup): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './sqlite-worker.ts' : './sqlite-worker.js', import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: setup });
  // Under tsx, hooks registered by `--import tsx` do not reach worker threads on Node 20.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: setup });
}

/** Largest batch committed on the caller's thread (about 2.5 ms of work at most). */
const LOCAL_BATCH_MAX = 256;

/** SQLite's answer when another connection holds the lock (also SQLITE_BUSY_SNAPSHOT …). */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED');
}

/** The connection that commits on the caller's thread: never checkpoints, never waits for a lock. */
interface LocalWriter {
  db: SqliteAuditDb;
  key: ChainKey;
}

function openLocalWriter(path: string, hmacKey: string | undefined): LocalWriter {
  const db = new SqliteAuditDb({ path, synchronous: 'normal' });
  db.db.pragma('busy_timeout = 0');
  db.db.pragma('wal_autocheckpoint = 0');
  return { db, key: chainKey(hmacKey) };
}

export class SqliteAuditStore implements AuditStore {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failed: AuditError | undefined;
  private reader: SqliteAuditDb | undefined;
  private readonly exited: Promise<void> | undefined;
  private local: LocalWriter | undefined;

  private constructor(
    readonly path: string,
    readonly algorithm: ChainAlgorithm,
    private readonly worker: Worker | undefined,
  ) {
    worker?.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker?.on('error', (err) => this.fail(new AuditError('write-failed', `the audit writer failed: ${err.message}`, { cause: err })));
    this.exited = worker && new Promise((resolve) => worker.once('exit', () => resolve()));
    worker?.on('exit', () => this.fail(new AuditError('write-failed', 'the audit writer stopped')));
  }

  /** Opens for writing: starts the writer thread, creates the file and its genesis record if needed. */
  static async open(options: SqliteStoreOptions): Promise<SqliteAuditStore> {
    const synchronous = options.synchronous ?? 'normal';
    const setup: WorkerSetup = {
      path: options.path,
      synchronous,
      checkpoints: synchronous === 'normal',
      ...(options.hmacKey ? { hmacKey: options.hmacKey } : {}),
      ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
      stamp: { time: new Date().toISOString(), instance: options.instance },
    };
    const worker = startWorker(setup);
    const algorithm = await new Promise<ChainAlgorithm>((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (reply.type === 'ready') resolve(reply.algorithm);
        else if (reply.type === 'fatal') reject(failure(reply.error));
        else reject(new AuditError('open-failed', `unexpected reply \`${reply.type}\` from the audit writer`));
      };
      const onError = (err: Error): void => {
        worker.off('message', onMessage);
        reject(new AuditError('open-failed', `the audit writer failed to start: ${err.message}`, { cause: err }));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    const store = new SqliteAuditStore(options.path, algorithm, worker);
    if (synchronous === 'normal') {
      try {
        store.local = openLocalWriter(options.path, options.hmacKey);
      } catch (err) {
        await store.close();
        throw err;
      }
    }
    return store;
  }

  /** Opens an existing store for reading only (CLI: tail, search, verify, export). */
  static openReadOnly(path: string): SqliteAuditStore {
    const reader = new SqliteAuditDb({ path, readonly: true });
    const store = new SqliteAuditStore(path, reader.algorithm, undefined);
    store.reader = reader;
    return store;
  }

  private onReply(reply: WorkerReply): void {
    if (!('id' in reply)) return;
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.type === 'failed') waiter.reject(failure(reply.error));
    else waiter.resolve(reply);
  }

  private fail(err: AuditError): void {
    this.failed ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  private request(build: (id: number) => WorkerRequest): Promise<WorkerReply> {
    if (!this.worker) return Promise.reject(new AuditError('write-failed', 'the audit store was opened read-only'));
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage(build(id));
    });
  }

  async append(bodies: RecordBody[]): Promise<AuditRecord[]> {
    if (bodies.length === 0) return [];
    const encoded = bodies.map(encodeBody);
    const committed = this.appendLocally(encoded);
    if (committed) return assemble(bodies, committed.first, committed.prev, committed.hashes);
    // Encoding happens here, on the caller's thread: it replaces the structured clone of the objects.
    const packed = pack(encoded);
    const reply = await this.request((id) => ({ type: 'append', id, packed }));
    if (reply.type !== 'appended') throw new AuditError('write-failed', `unexpected reply \`${reply.type}\``);
    return assemble(bodies, reply.first, reply.prev, reply.hashes);
  }

  /** Commits on this thread; undefined when the batch must go to the writer thread (no local writer, or a lock held elsewhere). */
  private appendLocally(encoded: EncodedBody[]): Appended | undefined {
    if (!this.local || this.failed || encoded.length > LOCAL_BATCH_MAX) return undefined;
    try {
      return this.local.db.append(this.local.key, encoded);
    } catch (err) {
      if (isBusy(err)) return undefined;
      throw err instanceof AuditError ? err : new AuditError('write-failed', `the audit store cannot write: ${(err as Error).message}`, { cause: err });
    }
  }

  async prune(before: string, stamp: { time: string; instance: string }): Promise<PruneResult> {
    const reply = await this.request((id) => ({ type: 'prune', id, before, stamp }));
    if (reply.type !== 'pruned') throw new AuditError('write-failed', `unexpected reply \`${reply.type}\``);
    return reply.result;
  }

  private db(): SqliteAuditDb {
    this.reader ??= new SqliteAuditDb({ path: this.path, readonly: true });
    return this.reader;
  }

  async head(): Promise<ChainHead | null> {
    return this.db().head();
  }

  async read(range?: ReadRange): Promise<AuditRecord[]> {
    return this.db().read(range);
  }

  async search(query: SearchQuery): Promise<AuditRecord[]> {
    return this.db().search(query);
  }

  async *scan(range: { from?: number; to?: number } = {}, pageSize = 5000): AsyncIterable<StoredRow[]> {
    let from = range.from ?? 0;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      const page = this.db().scanPage(from, to, pageSize);
      if (page.length === 0) return;
      yield page;
      from = page[page.length - 1]!.seq + 1;
    }
  }

  /** Records waiting for the writer (sent, not yet committed). */
  inFlight(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.reader?.close();
    this.reader = undefined;
    this.local?.db.close();
    this.local = undefined;
    if (!this.worker) return;
    if (!this.failed) this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    this.failed ??= new AuditError('closed', 'the audit store is closed');
    await this.exited;
  }
}
