/**
 * The canary leak corpus through the real proxy, as a masked agent with a real driver, in both
 * protocols: no byte the client receives may contain a canary (the proxy's live guards: masking by
 * column origin, side doors, scrubbed errors and notices, COPY rows).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { postgresReachable } from '../support/postgres.js';

const CANARY = `CANARY${randomBytes(4).toString('hex')}`;
const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  agent: { kind: agent }
resources:
  tags:
    public.customers.email: [pii]
    public.customers.ssn: [secret]
rules:
  - rule: mask-columns
    kinds: [agent]
    params: { tags: [pii, secret] }
`;

const CORPUS = [
  'SELECT * FROM customers',
  'SELECT c.email AS contact, o.id FROM customers c JOIN orders o ON o.customer_id = c.id',
  'SELECT contact FROM customer_contacts',
  'WITH x AS (SELECT email FROM customers) SELECT * FROM x',
  'SELECT email FROM customers UNION SELECT name FROM customers',
  'SELECT lower(email) FROM customers',
  'SELECT max(ssn) FROM customers',
  'SELECT row_to_json(c) FROM customers c',
  'SELECT c FROM customers c',
  'SELECT json_agg(email) FROM customers',
  'SELECT xmlelement(name e, email) FROM customers',
  'SELECT get_email(1)',
  'SELECT * FROM pg_stats WHERE tablename = $$customers$$',
  'SELECT id FROM customers WHERE email::int = 1',
  `INSERT INTO customers (id, email) VALUES (1000, '${CANARY}_email_3')`,
  "DO $$ BEGIN RAISE NOTICE '%', (SELECT email FROM customers WHERE id = 1); END $$",
  'COPY customers TO STDOUT',
  'CREATE TEMP TABLE stash AS SELECT email FROM customers',
];

const reachable = await postgresReachable();
let upstream: TestUpstream;
let proxy: ProxyHarness;

before(async () => {
  if (!reachable) return;
  upstream = await createUpstream('parapet_pcanary');
  const owner = new pg.Client(upstream.url);
  await owner.connect();
  await owner.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text, email text UNIQUE, ssn text);
    INSERT INTO customers SELECT g, 'name' || g, '${CANARY}_email_' || g, '${CANARY}_ssn_' || g FROM generate_series(1, 20) g;
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id));
    INSERT INTO orders SELECT g, (g % 20) + 1 FROM generate_series(1, 40) g;
    CREATE VIEW customer_contacts AS SELECT id, email AS contact FROM customers;
    CREATE FUNCTION get_email(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT email FROM customers WHERE id = $1';
    ANALYZE;
  `);
  await owner.end();
  proxy = await startProxy({ upstreamUrl: upstream.url, policyYaml: POLICY, secrets: { agent: 'agent-pw' } });
});

after(async () => {
  if (!reachable) return;
  await proxy.stop();
  await upstream.drop();
});

/** A driver whose every received byte is kept. */
async function tappedClient(): Promise<{ client: pg.Client; received: () => string }> {
  const socket = new Socket();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const client = new pg.Client({ connectionString: proxy.url('agent', 'agent-pw'), stream: () => socket } as unknown as pg.ClientConfig);
  client.on('notice', () => {});
  client.on('error', () => {});
  await client.connect();
  return { client, received: () => Buffer.concat(chunks).toString('latin1') };
}

test('no canary reaches a masked agent through the proxy, in either protocol', { skip: !reachable }, async () => {
  const { client, received } = await tappedClient();
  const leaks: string[] = [];
  try {
    for (const sql of CORPUS) {
      const before = received().length;
      await client.query(sql).catch(() => {});
      if (received().slice(before).includes(CANARY)) leaks.push(sql);
    }
    for (const sql of ['SELECT id, email, ssn FROM customers WHERE id <= $1', 'SELECT c FROM customers c WHERE id <= $1', 'SELECT get_email($1)']) {
      const before = received().length;
      await client.query(sql, [5]).catch(() => {});
      if (received().slice(before).includes(CANARY)) leaks.push(`${sql} (extended)`);
    }
  } finally {
    await client.end().catch(() => {});
  }
  assert.deepEqual(leaks, []);
});
