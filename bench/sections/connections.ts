/**
 * Memory of the proxy holding 1,000 client sessions open (issue: production-grade proxy, scale):
 * a throwaway PostgreSQL cluster with `max_connections` above 1,000, `parapet serve` as a child
 * process with the shipped default policy, 1,000 logins held open; the proxy's RSS (from /proc) idle
 * with one session, with all of them (2 s after the login burst, and again once they have been held
 * for a while: V8 shrinks the young generation a burst grew only some tens of seconds later), per
 * session, its peak and its JS heap. Goal: ≤ 150 MiB with the default policy. Runs as shipped, then with the young-generation cap docs/operations.md recommends (an
 * operator's NODE_OPTIONS). The rig is the scale test's (test/scale/held-sessions.ts).
 *
 * Run alone: `node dist/bench/sections/connections.js`. PARAPET_SCALE_CONNECTIONS changes the count,
 * PARAPET_SCALE_HOLD_SECONDS how long the sessions are held before the second reading (default 60).
 */
import { scrape } from '../../test/faults/child-proxy.js';
import { canStartCluster, MiB, queryValue, settle, startHeldSessionsRig } from '../../test/scale/held-sessions.js';
import { table, type Cell } from '../report.js';
import type { BenchSection } from '../section.js';

const CONNECTIONS = Number(process.env.PARAPET_SCALE_CONNECTIONS ?? 1000);
const HOLD_SECONDS = Number(process.env.PARAPET_SCALE_HOLD_SECONDS ?? 60);
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
    await settle(HOLD_SECONDS * 1000);
    const held = rig.proxy.memory().rss;
    // The sessions are still there and still answer (no idle timeout closed them meanwhile).
    const open = await scrape(rig.proxy, 'parapet_client_connections');
    const sample = [...first, ...rest].filter((_, i) => i % 10 === 0);
    const answers = await Promise.all(sample.map((session, i) => queryValue(session, `select ${i}`).catch(() => undefined)));
    const answered = answers.filter((answer, i) => answer === String(i)).length;
    await rig.close([...first, ...rest]);
    const mib = (bytes: number) => (bytes / MiB).toFixed(1);
    return [mib(idle), mib(rss), mib(held), `${open} open, ${answered}/${sample.length} answer`, ((rss - idle) / (CONNECTIONS - 1) / 1024).toFixed(1), mib(peak), mib(heap)];
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
  console.log(table(['proxy', '1 session', `${CONNECTIONS} sessions`, `held ${HOLD_SECONDS} s`, 'then', 'per session (KiB)', 'peak', 'JS heap used'], rows));
  console.log(`\nRSS and heap in MiB; "${CONNECTIONS} sessions" 2 s after the logins, "held" after ${HOLD_SECONDS} s more; per session: (RSS 2 s after the logins − RSS with one) / sessions; heap 2 s after the logins.`);
  console.log(`\ngoal: ≤ 150 MiB RSS with ${CONNECTIONS} sessions (PGlite excluded: an upstream server)`);
}

export const connectionsSection: BenchSection = {
  name: 'connections',
  summary: `proxy memory with ${CONNECTIONS} client sessions held open (default policy, throwaway cluster)`,
  run: runConnectionsBench,
};

if (process.argv[1]?.endsWith('connections.ts') || process.argv[1]?.endsWith('connections.js')) await runConnectionsBench();
