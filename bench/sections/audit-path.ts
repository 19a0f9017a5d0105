/**
 * Audit-path bench: what the durable audit costs per statement as the proxy drives it — a session's
 * decision record awaited (durable before forwarding), then its outcome and the ReadyForQuery that
 * ends the segment, for 8 sessions at once, through the real trail and SQLite store
 * (`synchronous: normal`). Figures:
 *
 * - CPU per statement: the whole process (main thread, writer thread, SQLite) and the main thread
 *   alone (the scheduler's count), the part that competes with the proxy's own work;
 * - records per statement;
 * - WAL pages per commit of 8 records (the database layer alone, checkpoints off, search keys
 *   included where the build writes them), the disk traffic of each group commit.
 *
 * `PARAPET_BENCH_BASELINE=<dist dir of another build>` runs the same figures for that build in the
 * same process, alternating, so both see the same machine:
 *
 *     PARAPET_BENCH_BASELINE=/work/main/dist node dist/bench/run.js audit-path
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { table } from '../report.js';
import type { BenchSection } from '../section.js';

/** The parts of a build the bench drives; loaded by URL so an older build's dist can stand in. */
interface Build {
  label: string;
  audit: typeof import('../../src/audit/index.js');
  sessionAudit: typeof import('../../src/proxy/session-audit.js');
  sql: typeof import('../../src/sql/index.js');
  chain: typeof import('../../src/audit/chain.js');
  db: typeof import('../../src/audit/sqlite-db.js');
  store: typeof import('../../src/audit/sqlite-store.js');
  /** Search-key writer, in builds that key in batches after commit. */
  keys?: { keyPending(db: unknown, limit: number): number };
}

async function loadBuild(label: string, src: URL): Promise<Build> {
  const load = (path: string): Promise<never> => import(new URL(path, src).href) as Promise<never>;
  return {
    label,
    audit: await load('audit/index.js'),
    sessionAudit: await load('proxy/session-audit.js'),
    sql: await load('sql/index.js'),
    chain: await load('audit/chain.js'),
    db: await load('audit/sqlite-db.js'),
    store: await load('audit/sqlite-store.js'),
    keys: await load('audit/sqlite-keys.js').catch(() => undefined),
  };
}

const ACTOR = { name: 'bench', kind: 'human' as const, groups: ['staff'], attributes: {} };
const CONTEXT = { clientAddress: '127.0.0.1', applicationName: 'pgbench', database: 'bench', transaction: 'idle' as const };
const ALLOW = { action: 'allow' as const, rules: [], message: 'allowed', obligations: {}, reasons: [], errors: [] };

/** A pgbench-like workload: statements, and the ReadyForQuery status after each (autocommit: I). */
const WORKLOADS: Record<string, { sql: (n: number) => string; after: 'I' | 'T' }[]> = {
  'select-simple': [{ sql: (n) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${n}`, after: 'I' }],
  'tpcb-like': [
    { sql: () => 'BEGIN', after: 'T' },
    { sql: (n) => `UPDATE pgbench_accounts SET abalance = abalance + ${n % 5000} WHERE aid = ${n}`, after: 'T' },
    { sql: (n) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${n}`, after: 'T' },
    { sql: (n) => `UPDATE pgbench_tellers SET tbalance = tbalance + ${n % 5000} WHERE tid = ${n % 10}`, after: 'T' },
    { sql: (n) => `UPDATE pgbench_branches SET bbalance = bbalance + ${n % 5000} WHERE bid = 1`, after: 'T' },
    { sql: (n) => `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${n % 10}, 1, ${n}, ${n % 5000}, CURRENT_TIMESTAMP)`, after: 'T' },
    { sql: () => 'END', after: 'I' },
  ],
};

const SESSIONS = 8;

/** CPU time of the main thread in µs: the scheduler's count (Linux), else event-loop busy time. */
function mainThreadCpu(): () => number {
  const path = `/proc/self/task/${process.pid}/schedstat`;
  const read = (): number | undefined => {
    try {
      return Number(readFileSync(path, 'utf8').split(' ')[0]) / 1000;
    } catch {
      return undefined;
    }
  };
  const start = read();
  if (start !== undefined) return () => read()! - start;
  const elu = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(elu).active * 1000;
}

interface PathFigures {
  totalUs: number;
  mainUs: number;
  records: number;
}

/** Drives `statements` statements per session through the build's session audit and trail. */
async function runPath(build: Build, workload: string, statements: number, dir: string): Promise<PathFigures> {
  const steps = WORKLOADS[workload]!;
  // Analysis is the proxy's work, not the audit's: done before the clock starts.
  const analyses = Array.from({ length: statements }, (_, i) => build.sql.analyze(steps[i % steps.length]!.sql(i + 1)).statements[0]!);
  const trail = await build.audit.openAudit({ store: 'sqlite', path: join(dir, `${build.label}-${workload}.db`), synchronous: 'normal' }, 'bench');
  const log = { info() {}, warn() {}, error() {} };
  const before = (await trail.store.head())!.count;
  const session = async (s: number): Promise<void> => {
    const audit = new build.sessionAudit.SessionAudit(trail, { session: `s${s}`, clientAddress: '127.0.0.1', database: 'bench' }, log);
    let status: 'I' | 'T' = 'I';
    for (let i = 0; i < statements; i++) {
      const step = steps[i % steps.length]!;
      const started = performance.now();
      const [seq] = await audit.decisions(ACTOR, { ...CONTEXT, transaction: status === 'I' ? 'idle' : 'in-transaction' }, [{ analysis: analyses[i]!, decision: ALLOW }] as never);
      // The upstream's answer: CommandComplete and ReadyForQuery in one read.
      const tag = analyses[i]!.kind === 'select' ? 'SELECT 1' : analyses[i]!.kind === 'insert' ? 'INSERT 0 1' : step.sql(0).split(' ')[0]!.toUpperCase();
      audit.outcome(seq!, { commandTag: tag, started });
      audit.segmentEnded({ before: status, after: step.after, statements: 1, lastFailed: false, lastTag: tag });
      (audit as { readEnded?: () => void }).readEnded?.();
      status = step.after;
    }
  };
  const main = mainThreadCpu();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: SESSIONS }, (_, s) => session(s)));
  await trail.close(); // every record committed (and, where the build keys after commit, keyed)
  const used = process.cpuUsage(cpu);
  const mainUs = main();
  const reader = build.store.SqliteAuditStore.openReadOnly(join(dir, `${build.label}-${workload}.db`));
  const after = (await reader.head())!.count;
  await reader.close();
  const n = statements * SESSIONS;
  return { totalUs: (used.user + used.system) / n, mainUs: mainUs / n, records: (after - before) / n };
}

/** WAL frames one commit of 8 records adds, with checkpoints off so the WAL only grows. */
function walPagesPerCommit(build: Build, dir: string): number {
  const path = join(dir, `${build.label}-wal.db`);
  const db = new build.db.SqliteAuditDb({ path, synchronous: 'normal' });
  const key = build.chain.chainKey(undefined);
  const time = new Date().toISOString();
  db.initialise(key, { time, instance: 'bench' });
  db.db.pragma('wal_autocheckpoint = 0');
  db.db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.db.pragma('page_size', { simple: true }) as number;
  const commits = 2000;
  // What the proxy writes for 4 autocommit statements: decision and outcome each.
  const batch = Array.from({ length: 4 }, (_, i) => [
    { kind: 'decision', session: `s${i}`, door: 'proxy', actor: { name: 'bench', kind: 'human', groups: ['staff'] }, clientAddress: '127.0.0.1', database: 'bench', transaction: 'idle', statementIndex: 0, statement: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2', redaction: 'literals', fingerprint: 'a1b2c3d4e5f60718', statementKind: 'update', readOnly: false, action: 'allow', rules: [], message: 'allowed', tags: {}, read: ['pgbench_accounts'], written: [{ table: 'pgbench_accounts', operation: 'update', columns: ['abalance'] }], time, instance: 'bench' },
    { kind: 'outcome', session: `s${i}`, decision: 1, commandTag: 'UPDATE 1', rows: 1, durationMs: 0.4, time, instance: 'bench' },
  ]).flat() as never[];
  const walSize = (): number => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const start = walSize();
  for (let c = 0; c < commits; c++) {
    db.append(key, batch.map((b) => build.chain.encodeBody(b)));
    if (build.keys && (c + 1) % 63 === 0) build.keys.keyPending(db.db, 500); // ≈ every 500 records, as the writer thread does
  }
  build.keys?.keyPending(db.db, 500);
  const frames = (walSize() - start) / (pageSize + 24);
  db.close();
  return frames / commits;
}

export const auditPathSection: BenchSection = {
  name: 'audit-path',
  summary: 'durable audit per statement as the proxy drives it: CPU (total, main thread), records, WAL pages per 8-record commit',
  async run() {
    const builds = [await loadBuild('this', new URL('../../src/', import.meta.url))];
    const baseline = process.env.PARAPET_BENCH_BASELINE;
    if (baseline) builds.push(await loadBuild('baseline', pathToFileURL(`${resolve(baseline, 'src')}/`)));
    for (const build of builds) await build.sql.initParser();
    const statements = Number(process.env.PARAPET_BENCH_STATEMENTS ?? 2500);
    const rounds = 3;
    const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-audit-path-'));
    const rows: (string | number)[][] = [];
    try {
      for (const workload of Object.keys(WORKLOADS)) {
        const best = new Map<string, PathFigures>();
        // Alternate the builds; keep each one's best round (least disturbed by the machine).
        for (let r = 0; r < rounds; r++) {
          for (const build of builds) {
            const f = await runPath(build, workload, statements, join(dir, `r${r}`));
            const prev = best.get(build.label);
            if (!prev || f.totalUs < prev.totalUs) best.set(build.label, f);
          }
        }
        for (const build of builds) {
          const f = best.get(build.label)!;
          rows.push([workload, build.label, f.totalUs.toFixed(1), f.mainUs.toFixed(1), f.records.toFixed(2)]);
        }
      }
      console.log(table(['workload', 'build', 'CPU µs/stmt (total)', 'CPU µs/stmt (main thread)', 'records/stmt'], rows));
      const wal = builds.map((b) => [b.label, walPagesPerCommit(b, dir).toFixed(2)]);
      console.log(`\n${table(['build', 'WAL pages per 8-record commit'], wal)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await auditPathSection.run();
