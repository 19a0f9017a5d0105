/**
 * `parapet serve` with a `lineage:` section emits OpenLineage events for committed writes as they
 * happen, named after the upstream server, and valid against the schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildConfig } from '../../src/config/index.js';
import { needPostgres, PG_HOST, PG_PORT } from '../support/postgres.js';
import { createUpstream, startProxy } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { eventValidator } from './validator.js';

test('the lineage section is read with located errors', () => {
  const ok = buildConfig('lineage: { transport: http, url: http://marquez:5000/api/v1/lineage, apiKey: env:KEY }\n', '/etc/parapet/parapet.yaml', { env: { KEY: 'k' } });
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.issues));
  assert.deepEqual(ok.config.lineage?.transport, { type: 'http', url: 'http://marquez:5000/api/v1/lineage', apiKey: 'k' });
  const file = buildConfig('lineage:\n  transport: file\n  path: events.ndjson\n', '/etc/parapet/parapet.yaml', { env: {} });
  assert.ok(file.ok);
  assert.deepEqual(file.config.lineage?.transport, { type: 'file', path: '/etc/parapet/events.ndjson' });
  const bad = buildConfig('lineage:\n  transport: kafka\n', '/etc/parapet/parapet.yaml', { env: {} });
  assert.ok(!bad.ok);
  assert.equal(bad.issues[0]?.line, 2);
  const missing = buildConfig('lineage:\n  transport: http\n', '/etc/parapet/parapet.yaml', { env: {} });
  assert.ok(!missing.ok);
  assert.match(missing.issues[0]?.message ?? '', /lineage\.url/);
});

test('committed writes through the proxy become OpenLineage events in the configured file', async (t) => {
  if (!(await needPostgres(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'parapet-lineage-serve-'));
  const path = join(dir, 'events.ndjson');
  const db = await createUpstream('parapet_lineage_serve');
  const proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, lineage: { transport: { type: 'file', path } } });
  try {
    const client = new pg.Client(proxy.url('alice', SECRETS.alice));
    await client.connect();
    await client.query('create table orders (id int primary key, customer_id int, amount numeric)');
    await client.query('create table order_totals (customer_id int, total numeric)');
    await client.query('insert into orders values (1, 10, 5), (2, 11, 7)');
    await client.query('insert into order_totals select customer_id, sum(amount) from orders group by customer_id');
    await client.end();
  } finally {
    await proxy.stop();
    await db.drop();
  }
  try {
    const events = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    const validate = eventValidator();
    for (const event of events) assert.deepEqual(validate(event), [], JSON.stringify(event));
    const rollup = events.find((e) => e.eventType === 'COMPLETE' && /^insert into order_totals/.test(e.job?.facets?.sql?.query ?? ''));
    assert.ok(rollup, `no COMPLETE event writing order_totals among ${events.length} events`);
    assert.equal(rollup.outputs[0].namespace, `postgres://${PG_HOST}:${PG_PORT}`);
    assert.ok(rollup.inputs.some((i: { name: string }) => i.name.endsWith("public.orders")), JSON.stringify(rollup));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
