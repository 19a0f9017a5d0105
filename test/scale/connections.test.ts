/**
 * 1,000 client sessions held open at once through one proxy, with the default policy (plus two
 * actors to log in as). Each holds its own upstream session, so the upstream is a throwaway
 * cluster with `max_connections` above 1,000 (the shared server allows 100). Prints the proxy's
 * RSS (a child process, read from /proc); the goal is ≤ 150 MiB. The rig is shared with
 * `npm run bench -- connections` (held-sessions.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scrape } from '../faults/child-proxy.js';
import { canStartCluster, MiB, queryValue, settle, startHeldSessionsRig, type HeldSessionsRig } from './held-sessions.js';

const CONNECTIONS = Number(process.env.PARAPET_SCALE_CONNECTIONS ?? 1000);

describe(`${CONNECTIONS} concurrent sessions`, { skip: !canStartCluster() }, () => {
  let rig: HeldSessionsRig;
  before(async () => {
    rig = await startHeldSessionsRig({ connections: CONNECTIONS });
  });
  after(async () => {
    await rig?.stop();
  });

  test('are held open, each with its upstream session, and keep working; the proxy RSS is printed', async () => {
    const { proxy } = rig;
    const [warm] = await rig.open(1);
    assert.equal(await queryValue(warm!, 'select 1'), '1');
    const idle = proxy.memory().rss;

    const sessions = [warm!, ...(await rig.open(CONNECTIONS - 1))];
    await settle();
    const held = proxy.memory().rss;
    const heapUsed = await scrape(proxy, 'nodejs_heap_size_used_bytes');
    // Client sessions only: Parapet's own (the live catalog's) are named `parapet …`.
    const upstream = await rig.clusterRows("select count(*)::int as n from pg_stat_activity where datname = 'app' and application_name not like 'parapet %'");
    assert.equal(upstream[0]!.n, CONNECTIONS);

    // Every tenth session still answers (agents included: their sessions are read-only upstream).
    const sample = sessions.filter((_, i) => i % 10 === 0);
    const answers = await Promise.all(sample.map((s, i) => queryValue(s, `select ${i}`)));
    assert.deepEqual(answers, sample.map((_, i) => String(i)));
    const afterQueries = proxy.memory().rss;

    console.log(
      `# scale: ${CONNECTIONS} sessions held open; proxy RSS ${(held / MiB).toFixed(1)} MiB ` +
        `(one session: ${(idle / MiB).toFixed(1)} MiB; +${((held - idle) / (CONNECTIONS - 1) / 1024).toFixed(1)} KiB per session; JS heap in use ${(heapUsed / MiB).toFixed(1)} MiB; ` +
        `${(afterQueries / MiB).toFixed(1)} MiB after ${sample.length} queries; goal ≤ 150 MiB)`,
    );

    await rig.close(sessions);
  });
});
