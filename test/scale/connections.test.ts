/**
 * 1,000 client sessions held open at once through one proxy, with the default policy (plus two
 * actors to log in as). Each holds its own upstream session, so the upstream is a throwaway
 * cluster with `max_connections` above 1,000 (the shared server allows 100). Prints the proxy's
 * RSS (a child process, read from /proc); the goal is ≤ 150 MiB.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import { canStartCluster, startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';
import { repoRoot, scrape, spawnProxy, type ChildProxy } from '../faults/child-proxy.js';
import { login, MessageStream, type WireSession } from '../faults/wire-session.js';
import { waitFor } from '../support/wait.js';

const CONNECTIONS = Number(process.env.PARAPET_SCALE_CONNECTIONS ?? 1000);
const SECRETS = { alice: 'alice-scale-pw', bot: 'bot-scale-pw' };
const MiB = 1024 * 1024;

/** The shipped default policy with a person and an agent who may log in. */
function defaultPolicyWithActors(): string {
  const policy = readFileSync(join(repoRoot, 'policies', 'default.yaml'), 'utf8');
  return `${policy}\nactors:\n  alice: { kind: human }\n  bot: { kind: agent }\n`;
}

async function clusterRows(cluster: ThrowawayCluster, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: cluster.url('postgres') });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Sends a simple query on a bare session and waits for its ReadyForQuery; returns the first value of the first row. */
async function queryValue(session: WireSession, sql: string): Promise<string | null | undefined> {
  const stream = new MessageStream(session.socket);
  session.socket.resume();
  session.socket.write(fe.query(sql));
  let value: string | null | undefined;
  for (let m = await stream.next(); m; m = await stream.next()) {
    if (m.type === 'DataRow' && value === undefined) value = m.values[0] === null ? null : Buffer.from(m.values[0]!).toString();
    if (m.type === 'ErrorResponse') throw new Error(`${m.fields.code}: ${m.fields.message}`);
    if (m.type === 'ReadyForQuery') break;
  }
  stream.detach();
  return value;
}

describe(`${CONNECTIONS} concurrent sessions`, { skip: !canStartCluster() }, () => {
  let cluster: ThrowawayCluster;
  let proxy: ChildProxy;
  before(async () => {
    cluster = await startThrowawayCluster({ settings: { max_connections: CONNECTIONS + 50, shared_buffers: '32MB' } });
    await clusterRows(cluster, "create role parapet_app login password 'app'");
    await clusterRows(cluster, 'create database app owner parapet_app');
    proxy = await spawnProxy({
      upstreamUrl: `postgres://parapet_app:app@127.0.0.1:${cluster.port}/app`,
      policyYaml: defaultPolicyWithActors(),
      secrets: SECRETS,
      limits: `{ maxConnections: ${CONNECTIONS + 10} }`,
      metrics: true,
    });
  });
  after(async () => {
    await proxy?.stop();
    await cluster?.stop();
  });

  test('are held open, each with its upstream session, and keep working; the proxy RSS is printed', async () => {
    const warm = await login({ port: proxy.port, user: 'alice', password: SECRETS.alice, database: 'app' });
    assert.equal(await queryValue(warm, 'select 1'), '1');
    const idle = proxy.memory().rss;

    const sessions: WireSession[] = [warm];
    const batch = 25;
    while (sessions.length < CONNECTIONS) {
      const size = Math.min(batch, CONNECTIONS - sessions.length);
      const opened = await Promise.all(
        Array.from({ length: size }, (_, i) => {
          const user = (sessions.length + i) % 2 === 0 ? 'alice' : 'bot';
          return login({ port: proxy.port, user, password: SECRETS[user], database: 'app', parameters: { application_name: `scale-${sessions.length + i}` } });
        }),
      );
      sessions.push(...opened);
    }
    // Let the login burst's garbage be collected before measuring.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const held = proxy.memory().rss;
    const heapUsed = await scrape(proxy, 'nodejs_heap_size_used_bytes');
    // Client sessions only: Parapet's own (the live catalog's) are named `parapet …`.
    const upstream = await clusterRows(cluster, "select count(*)::int as n from pg_stat_activity where datname = 'app' and application_name not like 'parapet %'");
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

    for (const s of sessions) s.socket.end(fe.terminate());
    await waitFor(async () => (await clusterRows(cluster, "select count(*)::int as n from pg_stat_activity where datname = 'app'"))[0]!.n === 0, 60_000);
  });
});
