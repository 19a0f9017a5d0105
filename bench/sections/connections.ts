/**
 * Memory of the proxy holding 1,000 client sessions open (issue: production-grade proxy, scale):
 * a throwaway PostgreSQL cluster with `max_connections` above 1,000, `parapet serve` as a child
 * process with the shipped default policy, 1,000 logins held open; the proxy's RSS (from /proc) idle
 * with one session, with all of them, per session, and its JS heap. Goal: ≤ 150 MiB with the default
 * policy. Runs as shipped, then with the young-generation cap docs/operations.md recommends (an
 * operator's NODE_OPTIONS). The rig is the scale test's (test/scale/held-sessions.ts).
 *
 * Run alone: `node dist/bench/sections/connections.js`. PARAPET_SCALE_CONNECTIONS changes the count.
 */
import { scrape } from '../../test/faults/child-proxy.js';
import { canStartCluster, MiB, settle, startHeldSessionsRig } from '../../test/scale/held-sessions.js';
import { table, type Cell } from '../report.js';
import type { BenchSection } from '../section.js';

const CONNECTIONS = Number(process.env.PARAPET_SCALE_CONNECTIONS ?? 1000);
const VARIANTS: { name: string; nodeOptions?: string }[] = [{ name: 'as shipped' }, { name: 'NODE_OPTIONS=--max-semi-space-size=4', nodeOptions: '--max-semi-space-size=4' }];

async function measure(nodeOptions: string | undefined): Promise<Cell[]> {
  const rig = await startHeldSessionsRig({ connections: CONNECTIONS, ...(nodeOptions ? { env: { NODE_OPTIONS: nodeOptions } } : {}) });
  try {
    const first = await rig.open(1);
    await settle();
    const idle = rig.proxy.memory().rss;
    const rest = await rig.open(CONNECTIONS - 1);
    await settle();
    const { rss, peak } = rig.proxy.memory();
    const heap = await scrape(rig.proxy, 'nodejs_heap_size_used_bytes');
    await rig.close([...first, ...rest]);
    const mib = (bytes: number) => (bytes / MiB).toFixed(1);
    return [mib(idle), mib(rss), ((rss - idle) / (CONNECTIONS - 1) / 1024).toFixed(1), mib(peak), mib(heap)];
  } finally {
    await rig.stop();
  }
}

async function runConnectionsBench(): Promise<void> {
  if (!canStartCluster()) {
    console.log('skipped: no PostgreSQL server binaries to start a throwaway cluster (set PARAPET_PG_BIN)');
    return;
  }
  const rows: Cell[][] = [];
  for (const variant of VARIANTS) rows.push([variant.name, ...(await measure(variant.nodeOptions))]);
  console.log(table(['proxy', 'RSS, 1 session (MiB)', `RSS, ${CONNECTIONS} sessions (MiB)`, 'per session (KiB)', 'peak RSS (MiB)', 'JS heap used (MiB)'], rows));
  console.log(`\ngoal: ≤ 150 MiB RSS with ${CONNECTIONS} sessions (PGlite excluded: an upstream server)`);
}

export const connectionsSection: BenchSection = {
  name: 'connections',
  summary: `proxy memory with ${CONNECTIONS} client sessions held open (default policy, throwaway cluster)`,
  run: runConnectionsBench,
};

if (process.argv[1]?.endsWith('connections.ts') || process.argv[1]?.endsWith('connections.js')) await runConnectionsBench();
