/**
 * Where OpenLineage events go: a file (NDJSON, one event per line) or an HTTP endpoint (POST of
 * each event as JSON, e.g. Marquez's `/api/v1/lineage`). `send` only queues: a slow or dead
 * endpoint never slows the proxy. The queue is bounded; events past the bound are dropped and
 * counted, as are events that still fail after their retries.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent } from './openlineage.js';

export interface TransportStats {
  sent: number;
  /** Dropped because the queue (or the file's write buffer) was full. */
  dropped: number;
  /** Given up after the last retry. */
  failed: number;
  queued: number;
}

export interface LineageTransport {
  send(events: RunEvent[]): void;
  stats(): TransportStats;
  /** Delivers what is queued (within the retry budget), then stops. */
  close(): Promise<void>;
}

export interface FileTransportConfig {
  type: 'file';
  path: string;
  /** Bytes buffered for the file before events are dropped (default 16 MiB). */
  maxBufferBytes?: number;
}

export interface HttpTransportConfig {
  type: 'http';
  /** Endpoint URL, e.g. `http://marquez:5000/api/v1/lineage`. */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  apiKey?: string;
  /** Events kept waiting before new ones are dropped (default 10000). */
  maxQueue?: number;
  /** Events posted per flush (default 100). */
  batchSize?: number;
  /** Wait between flushes when the queue is not full (ms, default 1000). */
  flushMs?: number;
  /** Attempts after the first, with exponential backoff from 250 ms (default 3). */
  retries?: number;
  /** Per-request timeout (ms, default 5000). */
  timeoutMs?: number;
}

export type TransportConfig = FileTransportConfig | HttpTransportConfig;

export function openTransport(config: TransportConfig): LineageTransport {
  return config.type === 'file' ? new FileTransport(config) : new HttpTransport(config);
}

class FileTransport implements LineageTransport {
  private readonly stream: WriteStream;
  private readonly counts = { sent: 0, dropped: 0, failed: 0 };
  private readonly limit: number;

  constructor(config: FileTransportConfig) {
    mkdirSync(dirname(config.path), { recursive: true });
    this.stream = createWriteStream(config.path, { flags: 'a' });
    this.stream.on('error', () => {
      this.counts.failed++;
    });
    this.limit = config.maxBufferBytes ?? 16 * 1024 * 1024;
  }

  send(events: RunEvent[]): void {
    for (const event of events) {
      if (this.stream.writableLength > this.limit || this.stream.destroyed) {
        this.counts.dropped++;
        continue;
      }
      this.stream.write(`${JSON.stringify(event)}\n`);
      this.counts.sent++;
    }
  }

  stats(): TransportStats {
    return { ...this.counts, queued: 0 };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

class HttpTransport implements LineageTransport {
  private queue: RunEvent[] = [];
  private readonly counts = { sent: 0, dropped: 0, failed: 0 };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly config: HttpTransportConfig) {}

  send(events: RunEvent[]): void {
    const room = (this.config.maxQueue ?? 10_000) - this.queue.length;
    const kept = this.closed ? [] : events.slice(0, Math.max(0, room));
    this.counts.dropped += events.length - kept.length;
    this.queue.push(...kept);
    this.schedule();
  }

  stats(): TransportStats {
    return { ...this.counts, queued: this.queue.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    while (this.flushing || this.queue.length > 0) await (this.flushing ?? this.flush());
  }

  private schedule(): void {
    if (this.timer || this.flushing) return;
    const full = this.queue.length >= (this.config.batchSize ?? 100);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, full ? 0 : (this.config.flushMs ?? 1000));
    // Pending lineage must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      const batch = this.queue.splice(0, this.config.batchSize ?? 100);
      // In order, one at a time: a run's START must arrive before its COMPLETE.
      for (const event of batch) {
        if (await this.post(event)) this.counts.sent++;
        else this.counts.failed++;
      }
    })().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.closed) this.schedule();
    });
    return this.flushing;
  }

  private async post(event: RunEvent): Promise<boolean> {
    const retries = this.config.retries ?? 3;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      try {
        const response = await fetch(this.config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}) },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.config.timeoutMs ?? 5000),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        // A client error will not get better by retrying.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) return false;
      } catch {
        // network error or timeout: retry
      }
    }
    return false;
  }
}
