/** Transports: file NDJSON, HTTP in order with retries; a dead or slow endpoint never blocks, drops are counted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openTransport } from '../../src/lineage/transport.js';
import type { RunEvent } from '../../src/lineage/openlineage.js';

const event = (n: number, eventType: RunEvent['eventType'] = 'START'): RunEvent => ({
  eventType,
  eventTime: new Date(1_700_000_000_000 + n).toISOString(),
  producer: 'https://example.test/p',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, facets: {} },
  job: { namespace: 'parapet', name: 'j', facets: {} },
  inputs: [],
  outputs: [],
});

async function listen(handler: (body: RunEvent, req: IncomingMessage) => number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      res.statusCode = handler(JSON.parse(text) as RunEvent, req);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`, server };
}

test('file: one event per line, appended', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-ol-'));
  try {
    const path = join(dir, 'sub', 'events.ndjson');
    const t = openTransport({ type: 'file', path });
    t.send([event(1), event(1, 'COMPLETE')]);
    await t.close();
    const again = openTransport({ type: 'file', path });
    again.send([event(2)]);
    await again.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    assert.deepEqual(lines.map((e) => e.eventType), ['START', 'COMPLETE', 'START']);
    assert.equal(t.stats().sent, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('http: events arrive in order, a failing endpoint is retried, auth header sent', async () => {
  const got: string[] = [];
  let failures = 2;
  const { url, server } = await listen((body, req) => {
    assert.equal(req.headers.authorization, 'Bearer k');
    if (failures-- > 0) return 503;
    got.push(`${body.eventType}:${body.run.runId.slice(-2)}`);
    return 201;
  });
  try {
    const t = openTransport({ type: 'http', url, apiKey: 'k', flushMs: 10, retries: 3 });
    t.send([event(1), event(1, 'COMPLETE'), event(2), event(2, 'ABORT')]);
    await t.close();
    assert.deepEqual(got, ['START:01', 'COMPLETE:01', 'START:02', 'ABORT:02']);
    assert.deepEqual(t.stats(), { sent: 4, dropped: 0, failed: 0, queued: 0 });
  } finally {
    server.close();
  }
});

test('http: a client error is not retried; a dead endpoint fails after retries without blocking send', async () => {
  let calls = 0;
  const { url, server } = await listen(() => (calls++, 400));
  try {
    const t = openTransport({ type: 'http', url, flushMs: 1, retries: 3 });
    t.send([event(1)]);
    await t.close();
    assert.equal(calls, 1);
    assert.equal(t.stats().failed, 1);
  } finally {
    server.close();
  }
  const { url: deadUrl, server: dead } = await listen(() => 200);
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const t = openTransport({ type: 'http', url: deadUrl, flushMs: 1, retries: 1, timeoutMs: 500 });
  const before = process.hrtime.bigint();
  t.send([event(1), event(2)]);
  // send() only queues: it returns at once whatever the endpoint does.
  assert.ok(process.hrtime.bigint() - before < 50_000_000n);
  await t.close();
  assert.deepEqual([t.stats().sent, t.stats().failed], [0, 2]);
});

test('http: past the bound, events are dropped and counted', async () => {
  const { url, server } = await listen(() => 200);
  try {
    const t = openTransport({ type: 'http', url, maxQueue: 3, flushMs: 60_000 });
    t.send([event(1), event(2), event(3), event(4), event(5)]);
    assert.deepEqual([t.stats().queued, t.stats().dropped], [3, 2]);
    await t.close();
    assert.deepEqual([t.stats().sent, t.stats().dropped], [3, 2]);
  } finally {
    server.close();
  }
});
