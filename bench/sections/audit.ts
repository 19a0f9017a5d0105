/**
 * Audit bench: records/s into SQLite — the store alone (bodies already built, batches of 5000,
 * encoding on the caller's thread, sealing and writing in the worker) and end to end through the
 * trail (redaction included) — the latency of one record when nothing else is queued, and how long
 * of the caller's thread each record costs. Goal: ≥ 80k records/s batched.
 *
 * Run alone: `node --import tsx bench/sections/audit.ts` (or the compiled file under dist/).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openAudit, type AuditInput } from '../../src/audit/index.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { SqliteAuditDb } from '../../src/audit/sqlite-db.js';
import { chainKey, encodeBody } from '../../src/audit/chain.js';
import type { RecordBody } from '../../src/audit/record.js';
import { table } from '../report.js';
import type { BenchSection } from '../section.js';

export interface AuditFigure {
  name: string;
  value: number;
  unit: string;
}

function decisionInput(n: number): AuditInput {
  return {
    kind: 'decision',
    session: `s${n % 64}`,
    door: 'proxy',
    actor: { name: n % 2 ? 'alice' : 'agent-7', kind: n % 2 ? 'human' : 'agent', groups: ['staff'] },
    clientAddress: '10.0.0.1',
    applicationName: 'bench',
    database: 'shop',
    statementIndex: 0,
    statement: `update public.orders set status = 'shipped' where id = ${n} /* reason='bench' */`,
    fingerprint: 'a1b2c3d4e5f60718',
    statementKind: 'update',
    readOnly: false,
    action: 'allow',
    rules: [],
    message: 'allowed',
    tags: { reason: 'bench' },
    read: [],
    written: [{ table: 'public.orders', operation: 'update', columns: ['status'] }],
  };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function runAuditBench(options: { records?: number; latencySamples?: number; synchronous?: 'normal' | 'full' } = {}): Promise<AuditFigure[]> {
  const records = options.records ?? 200_000;
  const samples = options.latencySamples ?? 2_000;
  const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-audit-'));
  const figures: AuditFigure[] = [];
  const sync = options.synchronous ?? 'normal';
  try {
    const store = await SqliteAuditStore.open({ path: join(dir, 'store.db'), synchronous: sync, instance: 'bench' });
    const time = new Date().toISOString();
    const bodies = Array.from({ length: 5000 }, (_, i) => ({ ...decisionInput(i), time, instance: 'bench', redaction: 'literals' }) as RecordBody);
    await store.append(bodies);
    const rounds = Math.max(1, Math.round(records / bodies.length));

    // CPU time (not wall time) of the two stages, so the figures hold on a busy machine too: encoding
    // runs on the caller's thread, sealing and writing on the writer's; together they pipeline.
    const db = new SqliteAuditDb({ path: join(dir, 'cpu.db'), synchronous: sync });
    const key = chainKey(undefined);
    db.initialise(key, { time, instance: 'bench' });
    let cpu = process.cpuUsage();
    const encoded = bodies.map(encodeBody);
    for (let r = 1; r < rounds; r++) bodies.map(encodeBody);
    const encodeCpu = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    for (let r = 0; r < rounds; r++) db.append(key, encoded);
    const writeCpu = process.cpuUsage(cpu);
    db.close();
    const perRecord = (u: NodeJS.CpuUsage): number => (u.user + u.system) / (rounds * bodies.length);
    figures.push({ name: 'encode, CPU per record (caller thread)', value: Math.round(perRecord(encodeCpu) * 10) / 10, unit: 'µs' });
    figures.push({ name: `seal + write, CPU per record (writer, synchronous=${sync})`, value: Math.round(perRecord(writeCpu) * 10) / 10, unit: 'µs' });
    figures.push({ name: 'batched ceiling from CPU (1 / slower stage)', value: Math.round(1e6 / Math.max(perRecord(encodeCpu), perRecord(writeCpu))), unit: 'records/s' });

    const storeStarted = process.hrtime.bigint();
    await Promise.all(Array.from({ length: rounds }, () => store.append(bodies)));
    const storeSeconds = Number(process.hrtime.bigint() - storeStarted) / 1e9;
    figures.push({ name: `sqlite store, batches of 5000 (synchronous=${sync})`, value: Math.round((rounds * bodies.length) / storeSeconds), unit: 'records/s' });
    await store.close();

    const trail = await openAudit({ store: 'sqlite', path: join(dir, 'audit.db'), synchronous: sync }, 'bench');
    const inputs = Array.from({ length: records }, (_, i) => decisionInput(i));
    const elu = performance.eventLoopUtilization();
    const started = process.hrtime.bigint();
    // Offer records in turns of 1000, as many sessions would, without waiting between turns.
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < records; i += 1000) {
      for (let j = i; j < Math.min(records, i + 1000); j++) pending.push(trail.record(inputs[j]!));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const busy = performance.eventLoopUtilization(elu);
    figures.push({ name: `trail end to end, redaction included (synchronous=${sync})`, value: Math.round(records / seconds), unit: 'records/s' });
    // The caller's thread (the proxy's event loop) pays for redaction and encoding; the worker for the rest.
    figures.push({ name: 'caller-thread time per record (redact + encode + post)', value: Math.round((busy.active * 1000) / records * 10) / 10, unit: 'µs' });

    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = process.hrtime.bigint();
      await trail.record(inputs[i]!);
      latencies.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    latencies.sort((a, b) => a - b);
    figures.push({ name: 'single record, record() to committed, p50', value: Math.round(percentile(latencies, 50)), unit: 'µs' });
    figures.push({ name: 'single record, record() to committed, p99', value: Math.round(percentile(latencies, 99)), unit: 'µs' });
    await trail.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export const auditSection: BenchSection = {
  name: 'audit',
  summary: 'audit records/s into SQLite (batched, goal ≥ 80k/s), caller-thread cost, single-record latency; synchronous normal and full',
  async run() {
    const rows: (string | number)[][] = [];
    for (const sync of ['normal', 'full'] as const) {
      for (const f of await runAuditBench({ synchronous: sync })) rows.push([f.name, f.value, f.unit]);
    }
    console.log(table(['figure', 'value', 'unit'], rows));
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await auditSection.run();
