/**
 * The metrics and health endpoint of a running `parapet serve` (a child process), scraped after
 * traffic: connections by actor kind, statements by decision and rule, decision and upstream
 * latency histograms, audit queue depth; /healthz and /readyz, and readiness following the upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresReachable, PG_HOST, PG_PORT } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { spawnProxy, type ChildProxy } from '../faults/child-proxy.js';
import { TcpForwarder, freePort } from '../faults/tcp-forwarder.js';
import { waitFor } from '../support/wait.js';

/** Every sample of the exposition text: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The sum of the samples of `name` whose labels include every `key="value"` given. */
function total(all: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of all) {
    const base = key.includes('{') ? key.slice(0, key.indexOf('{')) : key;
    if (base !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

async function get(proxy: ChildProxy, path: string, method = 'GET'): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`http://127.0.0.1:${proxy.metricsPort}${path}`, { method });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

describe('metrics and health endpoint', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  let proxy: ChildProxy;
  let forwarder: TcpForwarder;
  let forwardedPort: number;
  before(async () => {
    db = await createUpstream('parapet_metrics');
    // The upstream is reached through a forwarder the readiness test can take away.
    forwarder = new TcpForwarder({ host: PG_HOST, port: PG_PORT });
    forwardedPort = await forwarder.listen(await freePort());
    const url = new URL(db.url);
    url.port = String(forwardedPort);
    proxy = await spawnProxy({ upstreamUrl: url.toString(), policyYaml: TEST_POLICY, secrets: SECRETS, metrics: true });
  });
  after(async () => {
    await proxy?.stop();
    await forwarder?.close();
    await db?.drop();
  });

  test('after traffic: connections by kind, statements by decision and rule, latencies, audit queue depth', async () => {
    const alice = new pg.Client(proxy.url('alice', SECRETS.alice, db.database));
    const bot = new pg.Client(proxy.url('bot', SECRETS.bot, db.database));
    await alice.connect();
    await bot.connect();
    await alice.query('create table metered (id int)');
    await alice.query('insert into metered values (1), (2)');
    await alice.query('select * from metered');
    await assert.rejects(alice.query('delete from metered'));
    await bot.query('select count(*) from metered');
    await assert.rejects(bot.query('insert into metered values (3)'));

    const open = await get(proxy, '/metrics');
    assert.equal(open.status, 200);
    assert.match(open.type ?? '', /^text\/plain/);
    const during = samples(open.text);
    assert.equal(total(during, 'parapet_client_connections', { kind: 'human' }), 1);
    assert.equal(total(during, 'parapet_client_connections', { kind: 'agent' }), 1);
    assert.equal(total(during, 'parapet_client_sockets'), 2);
    assert.equal(total(during, 'parapet_statements_total', { decision: 'deny', rule: 'require-where' }), 1);
    assert.equal(total(during, 'parapet_statements_total', { decision: 'deny' }), 2);
    assert.equal(total(during, 'parapet_statements_total', { decision: 'allow' }), 4);
    assert.equal(total(during, 'parapet_rule_decisions_total', { rule: 'require-where', decision: 'deny' }), 1);
    assert.ok(total(during, 'parapet_decision_duration_seconds_count') >= 6);
    assert.ok(total(during, 'parapet_upstream_duration_seconds_count') >= 4);
    assert.ok(during.has('parapet_audit_queue_depth'));
    assert.ok(total(during, 'process_resident_memory_bytes') > 0);

    await alice.end();
    await bot.end();
    await waitFor(async () => total(samples((await get(proxy, '/metrics')).text), 'parapet_client_connections') === 0);
  });

  test('/healthz and /readyz answer 200 with a line per check; other paths 404, other methods 405', async () => {
    const health = await get(proxy, '/healthz');
    assert.equal(health.status, 200);
    assert.match(health.text, /^ok\n/);
    assert.match(health.text, /^listening: ok/m);
    assert.match(health.text, /^audit: ok/m);
    const ready = await get(proxy, '/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.text, /^upstream: ok/m);
    assert.equal((await get(proxy, '/nowhere')).status, 404);
    assert.equal((await get(proxy, '/metrics', 'POST')).status, 405);
  });

  test('/readyz fails while the upstream is unreachable and recovers; /healthz stays ok', async () => {
    await forwarder.close();
    await waitFor(async () => (await get(proxy, '/readyz')).status === 503);
    assert.match((await get(proxy, '/readyz')).text, /^upstream: failing/m);
    assert.equal((await get(proxy, '/healthz')).status, 200);
    await forwarder.listen(forwardedPort);
    await waitFor(async () => (await get(proxy, '/readyz')).status === 200);
  });
});
