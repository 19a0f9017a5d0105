/**
 * `npm run bench:proxy [-- options]`: pgbench against PostgreSQL directly, through PgBouncer
 * (session mode) and through Parapet (default policy, durable audit on), alternating targets in
 * rounds; prints TPS per target and workload (median of the rounds) and the ratios. Figures, not
 * pass/fail. See docs/performance.md.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { table, type Cell } from '../report.js';
import { parseOptions, USAGE, type BenchOptions, type Target, type Workload } from './options.js';
import { BENCH_ACTOR, BENCH_PASSWORD, startParapet, type RunningParapet } from './parapet.js';
import { runPgbench, type Endpoint, type PgbenchRun } from './pgbench.js';
import { startPgBouncer, type RunningPgBouncer } from './pgbouncer.js';
import { cpuTime, runCommand, type CpuTime } from './processes.js';
import { createBenchDatabase, type BenchDatabase } from './upstream.js';

const log = (line: string): void => console.error(`bench: ${line}`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '' : (a / b).toFixed(2));
const tps = (value: number | undefined): string => (value === undefined ? '' : Math.round(value).toString());

/** A run with the proxy's CPU time per transaction (µs), when there is a proxy process. */
type Measured = PgbenchRun & { cpu?: CpuTime };

function perTransaction(before: CpuTime, after: CpuTime, transactions: number): CpuTime {
  return { total: ((after.total - before.total) * 1e6) / transactions, main: ((after.main - before.main) * 1e6) / transactions };
}

/** The order of targets in round `r`: rotated each round, so none always runs first or last. */
function rotation(targets: Target[], round: number): Target[] {
  const k = round % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

async function main(options: BenchOptions): Promise<void> {
  const which = await runCommand('pgbench', ['--version']).catch(() => undefined);
  if (!which || which.code !== 0) throw new Error('pgbench is not installed: install the PostgreSQL client tools (`apt-get install -y postgresql-client`)');
  const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-'));
  let db: BenchDatabase | undefined;
  let bouncer: RunningPgBouncer | undefined;
  let parapet: RunningParapet | undefined;
  let baseline: RunningParapet | undefined;
  const cleanup = async (): Promise<void> => {
    await parapet?.stop().catch((e: unknown) => log(`stopping parapet: ${(e as Error).message}`));
    await baseline?.stop().catch((e: unknown) => log(`stopping the baseline parapet: ${(e as Error).message}`));
    await bouncer?.stop().catch((e: unknown) => log(`stopping pgbouncer: ${(e as Error).message}`));
    await db?.drop().catch((e: unknown) => log(`dropping the bench database: ${(e as Error).message}`));
    if (options.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    log('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    db = await createBenchDatabase(options, log);
    const endpoints = new Map<Target, Endpoint>();
    /** The proxy process behind a target, whose CPU time is measured around each run. */
    const pids = new Map<Target, number | undefined>();
    if (options.targets.includes('direct')) endpoints.set('direct', { port: db.port, user: db.role, database: db.database });
    if (options.targets.includes('pgbouncer')) {
      bouncer = await startPgBouncer(db, dir, options.clients, log);
      endpoints.set('pgbouncer', { port: bouncer.port, user: db.role, database: db.database });
      pids.set('pgbouncer', bouncer.pid);
    }
    if (options.targets.includes('parapet')) {
      parapet = await startParapet(db, dir, { profileDir: options.profile });
      endpoints.set('parapet', { port: parapet.port, user: BENCH_ACTOR, password: BENCH_PASSWORD, database: db.database });
      pids.set('parapet', parapet.pid);
    }
    if (options.targets.includes('baseline')) {
      const baseDir = join(dir, 'baseline');
      mkdirSync(baseDir);
      baseline = await startParapet(db, baseDir, { main: options.baseline, nodeOptions: options.baselineNodeOptions });
      endpoints.set('baseline', { port: baseline.port, user: BENCH_ACTOR, password: BENCH_PASSWORD, database: db.database });
      pids.set('baseline', baseline.pid);
    }
    const load = { clients: options.clients, threads: options.threads, seconds: options.seconds };
    printHeader(options, db, bouncer);

    // A short untimed run of every workload through every target: fails fast (a refused statement,
    // a missing binary) and warms caches and connections' first-use paths alike.
    for (const workload of options.workloads) {
      for (const target of options.targets) await runPgbench(workload, endpoints.get(target)!, { ...load, seconds: 2 });
    }
    const auditBefore = parapet?.auditRecords();

    const runs = new Map<string, Measured[]>();
    for (let round = 0; round < options.rounds; round++) {
      for (const workload of options.workloads) {
        for (const target of rotation(options.targets, round)) {
          const before = cpuTime(pids.get(target));
          const run: Measured = await runPgbench(workload, endpoints.get(target)!, load);
          const after = cpuTime(pids.get(target));
          if (before && after && run.transactions > 0) run.cpu = perTransaction(before, after, run.transactions);
          const key = `${workload}/${target}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          const cpu = run.cpu ? `, proxy CPU ${Math.round(run.cpu.total)} µs/transaction` : '';
          log(`round ${round + 1}/${options.rounds} ${workload.padEnd(15)} ${target.padEnd(9)} ${Math.round(run.tps)} tps, ${run.latencyMs} ms${cpu}${run.failed ? `, ${run.failed} failed` : ''}`);
        }
      }
    }
    const auditAfter = parapet?.auditRecords();
    printResults(options, runs);
    if (auditBefore !== undefined && auditAfter !== undefined) {
      console.log(`\nParapet's audit trail grew by ${auditAfter - auditBefore} records during the timed runs (${parapet!.auditPath}).`);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
  if (options.profile) console.log(`CPU profile of the Parapet process written to ${options.profile}`);
}

function printHeader(options: BenchOptions, db: BenchDatabase, bouncer: RunningPgBouncer | undefined): void {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}`);
  console.log(
    `PostgreSQL ${db.settings.server_version} on ${db.host}:${db.port} (fsync ${db.settings.fsync}, synchronous_commit ${db.settings.synchronous_commit}), ` +
      `pgbench scale ${options.scale}, -c ${options.clients} -j ${options.threads} -T ${options.seconds}, ${options.rounds} rounds` +
      (bouncer ? `, ${bouncer.version} (session mode)` : ''),
  );
}

function printResults(options: BenchOptions, runs: Map<string, Measured[]>): void {
  const has = (t: Target) => options.targets.includes(t);
  const get = (w: Workload, t: Target) => (has(t) ? median(runs.get(`${w}/${t}`)!.map((r) => r.tps)) : undefined);
  const withBaseline = has('baseline');
  const rows: Cell[][] = options.workloads.map((w) => {
    const [d, b, p, base] = [get(w, 'direct'), get(w, 'pgbouncer'), get(w, 'parapet'), get(w, 'baseline')];
    const row: Cell[] = [w, tps(d), tps(b), tps(p), ratio(b, d), ratio(p, d), ratio(p, b)];
    return withBaseline ? [...row, tps(base), ratio(p, base)] : row;
  });
  console.log(`\nTPS, median of ${options.rounds} rounds:\n`);
  const headers = ['workload', 'direct', 'pgbouncer', 'parapet', 'pgbouncer/direct', 'parapet/direct', 'parapet/pgbouncer'];
  console.log(table(withBaseline ? [...headers, 'baseline', 'parapet/baseline'] : headers, rows));
  const detail: Cell[][] = [];
  for (const w of options.workloads) {
    for (const t of options.targets) {
      const list = runs.get(`${w}/${t}`)!;
      const cpu = list.flatMap((r) => (r.cpu ? [r.cpu] : []));
      detail.push([
        w,
        t,
        list.map((r) => Math.round(r.tps)).join(' / '),
        median(list.map((r) => r.latencyMs)).toFixed(3),
        cpu.length ? Math.round(median(cpu.map((c) => c.total))) : '',
        cpu.length ? Math.round(median(cpu.map((c) => c.main))) : '',
        list.reduce((n, r) => n + r.failed, 0),
      ]);
    }
  }
  console.log('\nEvery round (proxy CPU: the PgBouncer or Parapet process, per pgbench transaction, median of the rounds):\n');
  console.log(table(['workload', 'target', 'tps per round', 'latency ms', 'proxy CPU µs', 'main thread µs', 'failed'], detail));
}

let options: BenchOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (!options) {
  console.log(USAGE);
} else {
  try {
    await main(options);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
