/**
 * What an affected-row limit costs through the proxy, end to end with the `pg` driver: p50 and p99
 * of a 100-row UPDATE on a 10k-row table (a fresh id range each time), sent directly to PostgreSQL,
 * through the proxy with no limit, with an estimate limit (EXPLAIN on the session first) and with an
 * exact limit (the UPDATE run in a transaction Parapet opens, counted, then committed).
 *
 * Run alone: `node dist/bench/run.js impact-proxy` (needs the local PostgreSQL).
 */
import pg from 'pg';
import { createUpstream, startProxy } from '../../test/support/proxy-harness.js';
import { postgresReachable } from '../../test/support/postgres.js';
import { summarize } from '../measure.js';
import { micros, table } from '../report.js';
import type { BenchSection } from '../section.js';

const TABLE_ROWS = 10_000;
const CHANGED = 100;
const CALLS = 400;
const WARMUP = 40;
const ROUND = 20;

const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  plain: { kind: agent }
  estimated: { kind: agent }
  counted: { kind: agent }
rules:
  - rule: max-affected-rows
    actors: [estimated]
    params: { rows: 5000, mode: estimate }
  - rule: max-affected-rows
    actors: [counted]
    params: { rows: 5000, mode: exact }
`;

/** Times one UPDATE over the next id range; checks it changed exactly CHANGED rows. */
function updater(client: pg.Client): () => Promise<number> {
  let next = 0;
  return async () => {
    const from = (next++ * CHANGED) % TABLE_ROWS;
    const started = process.hrtime.bigint();
    const result = await client.query(`UPDATE bench_items SET v = v + 1 WHERE id > ${from} AND id <= ${from + CHANGED}`);
    const took = Number(process.hrtime.bigint() - started) / 1000;
    if (result.rowCount !== CHANGED) throw new Error(`the UPDATE changed ${result.rowCount} rows, not ${CHANGED}`);
    return took;
  };
}

export const impactProxySection: BenchSection = {
  name: 'impact-proxy',
  summary: `${CHANGED}-row UPDATE on a ${TABLE_ROWS}-row table: direct vs proxy without / with an estimate / with an exact max-affected-rows (µs per call)`,
  async run() {
    if (!(await postgresReachable())) {
      console.log('PostgreSQL is unreachable: skipped');
      return;
    }
    const upstream = await createUpstream('parapet_bench_impact');
    const setup = new pg.Client(upstream.url);
    await setup.connect();
    await setup.query(`CREATE TABLE bench_items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
      INSERT INTO bench_items (id) SELECT generate_series(1, ${TABLE_ROWS}); ANALYZE bench_items`);
    const proxy = await startProxy({ upstreamUrl: upstream.url, policyYaml: POLICY, secrets: { plain: 'pw', estimated: 'pw', counted: 'pw' } });
    const rows: (string | number)[][] = [];
    const paths: [string, string][] = [
      ['direct', upstream.url],
      ['proxy, no rule', proxy.url('plain', 'pw')],
      ['proxy, estimate rule', proxy.url('estimated', 'pw')],
      ['proxy, exact rule', proxy.url('counted', 'pw')],
    ];
    const clients = paths.map(([, url]) => new pg.Client(url));
    try {
      for (const client of clients) await client.connect();
      const runs = clients.map(updater);
      for (const run of runs) for (let i = 0; i < WARMUP; i++) await run();
      await setup.query('VACUUM ANALYZE bench_items');
      // Interleaved rounds, so that load from elsewhere and table bloat fall on every path alike.
      const samples = paths.map(() => new Float64Array(CALLS));
      for (let round = 0; round < CALLS / ROUND; round++) {
        for (const [p, run] of runs.entries()) {
          // Untimed: keeps dead row versions from piling up, so every path updates the same table.
          await setup.query('VACUUM bench_items');
          for (let i = 0; i < ROUND; i++) samples[p]![round * ROUND + i] = await run();
        }
      }
      const direct = summarize(samples[0]!).median;
      for (const [p, [label]] of paths.entries()) {
        const s = summarize(samples[p]!);
        rows.push([label, micros(s.median), micros(s.p99), `${(s.median / direct).toFixed(2)}×`]);
      }
    } finally {
      for (const client of [setup, ...clients]) await client.end().catch(() => {});
      await proxy.stop();
      await upstream.drop();
    }
    console.log(table(['path', 'p50 µs', 'p99 µs', 'p50 vs direct'], rows));
    console.log(`\n${CALLS} calls each after ${WARMUP} warm-up calls, one connection per path, sequential, in interleaved rounds of ${ROUND}.`);
  },
};
