/** One pgbench run against one target, and what it reports. */
import type { Workload } from './options.js';
import { runCommand } from './processes.js';

/** How pgbench runs each workload: its built-in script and query protocol. */
const WORKLOAD_ARGS: Record<Workload, string[]> = {
  'select-simple': ['-b', 'select-only', '-M', 'simple'],
  'select-extended': ['-b', 'select-only', '-M', 'extended'],
  'select-prepared': ['-b', 'select-only', '-M', 'prepared'],
  'tpcb-like': ['-b', 'tpcb-like', '-M', 'simple'],
};

export interface Endpoint {
  port: number;
  user: string;
  password?: string;
  database: string;
}

export interface PgbenchRun {
  tps: number;
  /** Average latency in ms, as pgbench reports it. */
  latencyMs: number;
  transactions: number;
  failed: number;
}

export function pgbenchArgs(workload: Workload, endpoint: Endpoint, load: { clients: number; threads: number; seconds: number }): string[] {
  return [
    ...WORKLOAD_ARGS[workload],
    '-n', // no vacuum before the run: done once, directly, after initialisation
    '-c', String(load.clients),
    '-j', String(load.threads),
    '-T', String(load.seconds),
    '-h', '127.0.0.1',
    '-p', String(endpoint.port),
    '-U', endpoint.user,
    endpoint.database,
  ];
}

/** Runs pgbench; throws with its output when it fails or a client aborts. */
export async function runPgbench(workload: Workload, endpoint: Endpoint, load: { clients: number; threads: number; seconds: number }): Promise<PgbenchRun> {
  const env = { ...process.env, PGPASSWORD: endpoint.password ?? '', PGSSLMODE: 'disable' };
  const args = pgbenchArgs(workload, endpoint, load);
  const result = await runCommand('pgbench', args, env);
  const text = `${result.stdout}\n${result.stderr}`;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text);
  if (result.code !== 0 || !tps) throw new Error(`pgbench ${args.join(' ')} failed (exit ${result.code}):\n${text.trim().slice(-2000)}`);
  const number = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    tps: Number(tps[1]),
    latencyMs: number(/latency average = ([\d.]+) ms/),
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: number(/number of failed transactions: (\d+)/),
  };
}
