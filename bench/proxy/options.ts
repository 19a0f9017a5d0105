/** Command-line options of `npm run bench:proxy`, with their defaults. */
import { parseArgs } from 'node:util';

export const WORKLOADS = ['select-simple', 'select-extended', 'select-prepared', 'tpcb-like'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const TARGETS = ['direct', 'pgbouncer', 'parapet'] as const;
/** `baseline`: a second Parapet build (--baseline), to compare before and after a change. */
export type Target = (typeof TARGETS)[number] | 'baseline';

export interface BenchOptions {
  rounds: number;
  seconds: number;
  clients: number;
  threads: number;
  scale: number;
  workloads: Workload[];
  targets: Target[];
  /** Start a throwaway cluster instead of using the server at PGHOST:PGPORT. */
  cluster: boolean;
  /** Admin connection to the shared server (trust or PGPASSWORD). */
  host: string;
  port: number;
  adminUser: string;
  /** Another build's `dist/src/cli/main.js`, run as the extra target `baseline`. */
  baseline: string | undefined;
  /** Node options of the `baseline` process (on node's command line), e.g. to measure what a V8 flag costs. */
  baselineNodeOptions: string[];
  /** Write a CPU profile of the Parapet process into this folder. */
  profile: string | undefined;
  /** Keep the temporary folder (configs, logs, audit file) and print where it is. */
  keep: boolean;
}

export const USAGE = `usage: npm run bench:proxy -- [options]

Runs pgbench against PostgreSQL directly, through PgBouncer (session mode) and through Parapet
(default policy, durable audit on), alternating targets in rounds, and prints TPS per target and
workload (median of the rounds) with the ratios to direct and to PgBouncer.

  --rounds N          rounds; every target runs every workload once per round (default 3)
  --seconds N         pgbench -T per run (default 10)
  --clients N         pgbench -c (default 8)
  --threads N         pgbench -j (default 2)
  --scale N           pgbench -i -s (default 10)
  --workloads LIST    comma-separated: ${WORKLOADS.join(', ')} (default all)
  --targets LIST      comma-separated: ${TARGETS.join(', ')} (default all)
  --cluster           start a throwaway PostgreSQL cluster (fsync on) instead of using PGHOST:PGPORT
  --baseline FILE     also run another Parapet build (its dist/src/cli/main.js) as the target
                      \`baseline\`, alternating with the others: before/after figures in one run
  --baseline-node-options OPTS
                      node options for the baseline (space-separated, on node's command line); alone,
                      the baseline is this build: e.g. --baseline-node-options=--no-liftoff-only
  --profile DIR       run Parapet with node --cpu-prof, writing the profile into DIR
  --keep              keep the temporary folder (configs, logs, the audit file)
  -h, --help          this text

Environment: PGHOST (default 127.0.0.1), PGPORT (5432) and PGUSER (postgres) name the server and a
superuser that may create a role and a database (both are dropped at the end).`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not \`${text}\``);
  return value;
}

function list<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T[] {
  if (text === undefined) return [...allowed];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`unknown ${name} \`${item}\`; expected one of: ${allowed.join(', ')}`);
  }
  return items as T[];
}

/** Parsed options, or `undefined` when help was asked for. Throws with a message on bad input. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      threads: { type: 'string' },
      scale: { type: 'string' },
      workloads: { type: 'string' },
      targets: { type: 'string' },
      cluster: { type: 'boolean' },
      baseline: { type: 'string' },
      'baseline-node-options': { type: 'string' },
      profile: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const baselineNodeOptions = values['baseline-node-options']?.split(/\s+/).filter(Boolean) ?? [];
  const withBaseline = values.baseline !== undefined || baselineNodeOptions.length > 0;
  return {
    rounds: positive('rounds', values.rounds, 3),
    seconds: positive('seconds', values.seconds, 10),
    clients: positive('clients', values.clients, 8),
    threads: positive('threads', values.threads, 2),
    scale: positive('scale', values.scale, 10),
    workloads: list('workload', values.workloads, WORKLOADS),
    targets: [...list<Target>('target', values.targets, TARGETS), ...(withBaseline ? (['baseline'] as const) : [])],
    cluster: values.cluster ?? false,
    host: env.PGHOST ?? '127.0.0.1',
    port: Number(env.PGPORT ?? 5432),
    adminUser: env.PGUSER ?? 'postgres',
    baseline: values.baseline,
    baselineNodeOptions,
    profile: values.profile,
    keep: values.keep ?? false,
  };
}
