/**
 * The hot-path side of the audit: `record()` queues a record and resolves once it is committed.
 * Records that arrive in one event-loop turn go to the store as one batch (one transaction: group
 * commit); while a batch is being written the next one gathers, so batches grow with load.
 * A store failure rejects every record of the batch — the caller (the proxy) then denies.
 */
import { AuditError } from './errors.js';
import { redactStatement } from './redact.js';
import type { AuditInput, AuditRecord, Redaction, RecordBody } from './record.js';
import type { AuditStore } from './store.js';

export interface TrailOptions {
  instance: string;
  redact: Redaction;
  /** Largest batch sent to the store in one transaction (default 5000). */
  maxBatch?: number;
}

/** Called with every committed batch, in chain order (lineage listens here). Must not throw. */
export type CommitListener = (records: AuditRecord[]) => void;

interface Waiting {
  body: RecordBody;
  resolve(result: { seq: number; hash: string }): void;
  reject(err: unknown): void;
}

export class AuditTrail {
  private queue: Waiting[] = [];
  private writing = 0;
  private scheduled = false;
  private closed = false;
  private readonly listeners: CommitListener[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private idle: (() => void)[] = [];

  constructor(
    readonly store: AuditStore,
    private readonly options: TrailOptions,
  ) {}

  /** Seals `input` into the chain. Resolves with its seq and hash once committed; rejects when the store cannot write. */
  record(input: AuditInput): Promise<{ seq: number; hash: string }> {
    if (this.closed) return Promise.reject(new AuditError('closed', 'the audit trail is closed'));
    let body: RecordBody;
    try {
      body = this.body(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      this.schedule();
    });
  }

  /** Records queued or being written. */
  queueDepth(): number {
    return this.queue.length + this.writing;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Runs `closer` when the trail closes, after the last record was written (lineage flushes here). */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  /** Writes what is queued, then closes the store. Later `record()` calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queueDepth() > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    for (const closer of this.closers) await closer().catch(() => {});
    await this.store.close();
  }

  /** The body to seal: a copy of `input` (the caller's object is left alone) with defaults filled and the statement redacted. */
  private body(input: AuditInput): RecordBody {
    // One copy and assignments: rest/spread patterns cost several copies, and this runs for every record.
    const body = { ...input } as RecordBody & { parameters?: unknown };
    body.time = input.time ?? new Date().toISOString();
    body.instance = input.instance ?? this.options.instance;
    if (body.kind !== 'decision') return body;
    const mode = this.options.redact;
    body.statement = redactStatement(body.statement, mode);
    body.redaction = mode;
    if (mode !== 'none' && body.parameters !== undefined) delete body.parameters;
    return body;
  }

  private schedule(): void {
    if (this.scheduled || this.writing > 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 5000);
    if (batch.length === 0) return this.settle();
    this.writing = batch.length;
    try {
      const records = await this.store.append(batch.map((w) => w.body));
      records.forEach((r, i) => batch[i]!.resolve({ seq: r.seq, hash: r.hash }));
      for (const listener of this.listeners) {
        try {
          listener(records);
        } catch {
          // A listener (lineage) must never fail the audit; it reports its own errors.
        }
      }
    } catch (cause) {
      const err =
        cause instanceof AuditError && cause.code !== 'closed'
          ? cause
          : new AuditError('write-failed', `the audit store cannot write: ${(cause as Error).message}`, { cause });
      for (const w of batch) w.reject(err);
    } finally {
      this.writing = 0;
    }
    if (this.queue.length > 0) return this.flush();
    this.settle();
  }

  private settle(): void {
    if (this.queueDepth() > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
