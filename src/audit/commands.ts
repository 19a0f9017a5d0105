/**
 * What `parapet audit …` does, apart from argument parsing (src/cli/commands/audit.ts). Each
 * command takes its options and an IO, and returns the exit code: 0 ok, 1 verification failed,
 * 2 usage or configuration errors.
 */
import { writeFileSync } from 'node:fs';
import { chainKey } from './chain.js';
import { readCheckpoint, takeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { AuditError } from './errors.js';
import { cefLine, exportable, jsonLine, otelLine, type ExportFormat } from './export.js';
import { formatRecord } from './format.js';
import { openStore, type AuditConfig } from './index.js';
import type { AuditRecord, Redaction } from './record.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore, SearchQuery } from './store.js';
import { verifyChain } from './verify.js';

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted to stop `--follow`. */
  signal?: AbortSignal;
}

/** Opens a store for reading only: never creates one where a path was mistyped. */
export async function openForReading(config: AuditConfig): Promise<AuditStore> {
  if (config.store === 'postgres') return (await import('./postgres-store.js')).PostgresAuditStore.openReadOnly({ url: config.url, ...(config.schema ? { schema: config.schema } : {}) });
  return SqliteAuditStore.openReadOnly(config.path);
}

/** Runs a command body, turning audit errors into messages and exit code 2. */
export async function guarded(io: CommandIO, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
    io.stderr(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
    return 2;
  }
}

async function withStore(config: AuditConfig, work: (store: AuditStore) => Promise<number>): Promise<number> {
  const store = await openForReading(config);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function print(io: CommandIO, records: AuditRecord[], json: boolean): void {
  for (const r of records) io.stdout(`${json ? JSON.stringify(r) : formatRecord(r)}\n`);
}

export async function runTail(config: AuditConfig, options: { lines: number; follow: boolean; json: boolean; pollMs?: number }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withStore(config, async (store) => {
      const latest = (await store.read({ order: 'desc', limit: options.lines })).reverse();
      print(io, latest, options.json);
      if (!options.follow) return 0;
      let after = latest.at(-1)?.seq ?? 0;
      while (!io.signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs ?? 500);
          io.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        const fresh = await store.search({ after, order: 'asc', limit: 10_000 });
        print(io, fresh, options.json);
        after = fresh.at(-1)?.seq ?? after;
      }
      return 0;
    }),
  );
}

export async function runSearch(config: AuditConfig, query: SearchQuery, options: { json: boolean; limit: number }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withStore(config, async (store) => {
      // The newest `limit` matches, shown oldest first.
      const found = (await store.search({ ...query, order: 'desc', limit: options.limit })).reverse();
      print(io, found, options.json);
      if (!options.json && found.length === options.limit) io.stderr(`note: showing the latest ${options.limit} matches; raise --limit for more\n`);
      return 0;
    }),
  );
}

export async function runVerify(config: AuditConfig, options: { from?: number; to?: number; checkpoint?: string; json: boolean }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withStore(config, async (store) => {
      if (store.algorithm === 'hmac-sha256' && !config.hmacKey) {
        throw new AuditError('bad-config', 'the audit chain is keyed (HMAC-SHA-256) and no key is set', { hint: 'set PARAPET_AUDIT_KEY or audit.hmacKey' });
      }
      const checkpoint = options.checkpoint ? readCheckpoint(options.checkpoint) : undefined;
      const report = await verifyChain(store, chainKey(config.hmacKey), {
        ...(options.from !== undefined ? { from: options.from } : {}),
        ...(options.to !== undefined ? { to: options.to } : {}),
        ...(checkpoint ? { checkpoint } : {}),
      });
      if (options.json) io.stdout(`${JSON.stringify(report)}\n`);
      else if (report.ok) {
        const range = report.from !== undefined ? ` (${report.from}–${report.to})` : '';
        io.stdout(`ok: ${report.checked} records verified${range}${checkpoint ? `, checkpoint at ${checkpoint.seq} matches` : ''}\n`);
      } else {
        const f = report.failure!;
        io.stdout(`FAILED at record ${f.seq}: ${f.problem} — ${f.message}\n${f.hint ? `  hint: ${f.hint}\n` : ''}`);
      }
      if (!options.json) for (const note of report.notes) io.stdout(`note: ${note}\n`);
      return report.ok ? 0 : 1;
    }),
  );
}

export async function runCheckpoint(config: AuditConfig, options: { out?: string }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withStore(config, async (store) => {
      const checkpoint = await takeCheckpoint(store);
      if (options.out) {
        writeCheckpoint(options.out, checkpoint);
        io.stdout(`checkpoint: record ${checkpoint.seq}, ${checkpoint.count} records stored, head ${checkpoint.hash} → ${options.out}\n`);
      } else io.stdout(`${JSON.stringify(checkpoint, null, 2)}\n`);
      return 0;
    }),
  );
}

export interface ExportOptions {
  format: ExportFormat;
  since?: string;
  until?: string;
  out?: string;
  redact: Redaction;
}

const PAGE = 5000;
const OTEL_BATCH = 500;

export async function runExport(config: AuditConfig, options: ExportOptions, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withStore(config, async (store) => {
      if (options.out) writeFileSync(options.out, '');
      const write = options.out ? (text: string) => writeFileSync(options.out!, text, { flag: 'a' }) : io.stdout;
      let after = 0;
      let count = 0;
      for (;;) {
        const page = await store.search({
          after,
          order: 'asc',
          limit: PAGE,
          ...(options.since ? { since: options.since } : {}),
          ...(options.until ? { until: options.until } : {}),
        });
        if (page.length === 0) break;
        const records = page.map((r) => exportable(r, options.redact));
        const lines: string[] = [];
        if (options.format === 'otel') for (let i = 0; i < records.length; i += OTEL_BATCH) lines.push(otelLine(records.slice(i, i + OTEL_BATCH)));
        else lines.push(...records.map(options.format === 'cef' ? cefLine : jsonLine));
        write(`${lines.join('\n')}\n`);
        count += page.length;
        after = page.at(-1)!.seq;
      }
      if (options.out) io.stderr(`exported ${count} records to ${options.out}\n`);
      return 0;
    }),
  );
}

export async function runPrune(config: AuditConfig, options: { before: string; checkpointOut?: string; instance: string }, io: CommandIO): Promise<number> {
  return guarded(io, async () => {
    const store = await openStore(config, options.instance);
    try {
      const result = await store.prune(options.before, { time: new Date().toISOString(), instance: options.instance });
      io.stdout(`pruned ${result.removed} records older than ${options.before}; record ${result.genesis} now stands in for them, vouched by record ${result.checkpoint.seq}\n`);
      if (options.checkpointOut) {
        const checkpoint = await takeCheckpoint(store);
        writeCheckpoint(options.checkpointOut, checkpoint);
        io.stdout(`checkpoint: record ${checkpoint.seq} → ${options.checkpointOut}\n`);
      }
      return 0;
    } catch (err) {
      if (err instanceof AuditError && err.code === 'prune-refused') {
        io.stdout(`nothing pruned: ${err.message}\n`);
        return 0;
      }
      throw err;
    } finally {
      await store.close();
    }
  });
}
