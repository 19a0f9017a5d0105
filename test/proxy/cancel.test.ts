/**
 * Cancel while Parapet still holds the statement (deciding or recording it): it is cancelled
 * locally with 57014 and never reaches the server. Runs the server with a guard that is slow for
 * marked statements, wired by hand (the same parts `parapet serve` uses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { createGuard } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { createVerifier, parseVerifier } from '../../src/protocol/scram.js';
import type { GuardPort } from '../../src/proxy/ports.js';
import { startProxyServer } from '../../src/proxy/server.js';
import { directProvider, parseUpstreamUrl } from '../../src/proxy/upstream-provider.js';
import { DEFAULT_LIMITS } from '../../src/config/index.js';
import { needPostgres } from '../support/postgres.js';
import { createUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY, adminRows } from './fixtures.js';

test('a statement cancelled while Parapet holds it never runs', async (t) => {
  if (!(await needPostgres(t))) return;
  const db = await createUpstream();
  const loaded = loadPolicy(TEST_POLICY, {});
  assert.ok(loaded.ok);
  const guard = createGuard({ policy: loaded.policy });
  const slow: GuardPort = {
    ...guard,
    actor: (name) => guard.actor(name),
    decideConnect: (...args) => guard.decideConnect(...args),
    async evaluate(request) {
      if (request.sql.includes('slow_marker')) await new Promise((resolve) => setTimeout(resolve, 1500));
      return guard.evaluate(request);
    },
  };
  let seq = 0;
  const verifier = parseVerifier(createVerifier(SECRETS.alice));
  const server = await startProxyServer({
    listen: { host: '127.0.0.1', port: 0 },
    guard: slow,
    audit: { record: async () => ({ seq: ++seq, hash: '' }) },
    credentials: { verifier: (actor) => (actor === 'alice' ? verifier : undefined) },
    upstream: directProvider({ target: parseUpstreamUrl(db.url), credentials: [], connectTimeoutMs: 5000 }),
    log: { info: () => {}, warn: () => {}, error: () => {} },
    limits: DEFAULT_LIMITS,
  });
  const sql = postgres(`postgres://alice:${SECRETS.alice}@127.0.0.1:${server.address.port}/${db.database}`, { max: 1, onnotice: () => {} });
  try {
    await sql`create table held (id int)`;
    const held = sql.unsafe('insert into held values (1) /* slow_marker */');
    const outcome = held.then(() => 'ran', (e: { code?: string }) => e.code);
    await new Promise((resolve) => setTimeout(resolve, 300));
    held.cancel();
    assert.equal(await outcome, '57014');
    assert.equal((await sql`select 1 as ok`)[0]!.ok, 1);
    assert.deepEqual(await adminRows(db.adminUrl, 'select id from held'), []);
  } finally {
    await sql.end();
    await server.close();
    await db.drop();
  }
});
