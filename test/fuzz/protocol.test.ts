/**
 * A seeded protocol fuzz of the proxy (a child process): 20,000 mutated, random and out-of-phase
 * frontend messages over many connections, before and after login. The process must not crash,
 * its RSS must stay bounded, a well-behaved session on the side must keep working, and every
 * connection must be closed promptly once its client ends it. `npm run fuzz` runs long ones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { scrape, spawnProxy, type ChildProxy } from '../faults/child-proxy.js';
import { FuzzFailure, runFuzz } from './engine.js';

const SEED = 20261126;
const COUNT = 20_000;

describe('protocol fuzz', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  let proxy: ChildProxy;
  before(async () => {
    db = await createUpstream('parapet_fuzz');
    proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, metrics: true });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  test(`${COUNT} messages with seed ${SEED}: no crash, bounded RSS, the side session keeps working`, async () => {
    try {
      const report = await runFuzz(
        {
          port: proxy.port,
          database: db.database,
          actors: [
            { user: 'alice', password: SECRETS.alice },
            { user: 'bot', password: SECRETS.bot },
          ],
          sideUrl: proxy.url('alice', SECRETS.alice, db.database),
          rss: () => proxy.memory().rss,
          exited: proxy.exited,
          openConnections: () => scrape(proxy, 'parapet_client_sockets'),
        },
        { seed: SEED, count: COUNT },
      );
      const MiB = 1024 * 1024;
      console.log(
        `# fuzz: seed ${report.seed}, ${report.messages} messages over ${report.connections} connections in ${(report.durationMs / 1000).toFixed(1)} s; ` +
          `${report.sideQueries} side queries; proxy RSS ${(report.baselineRss / MiB).toFixed(1)} → peak ${(report.peakRss / MiB).toFixed(1)} MiB`,
      );
      assert.ok(report.messages >= COUNT);
      assert.ok(report.sideQueries > 0);
    } catch (error) {
      if (error instanceof FuzzFailure) {
        console.log(`# fuzz failure — reproduce with: npm run fuzz -- --seed ${error.seed} --count ${COUNT}`);
        for (const message of error.script) console.log(`#   ${message.label}: ${message.bytes.subarray(0, 64).toString('hex')}`);
      }
      throw error;
    }
    // Internal errors are bugs even when contained in one session.
    const internal = proxy.log.filter((line) => /internal error|failed: /.test(line));
    assert.deepEqual(internal, []);
  });
});
