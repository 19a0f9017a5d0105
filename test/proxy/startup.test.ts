/**
 * Below the SQL: the startup packet (options, replication, unknown parameters, encodings, protocol
 * versions, SSL/GSS requests, direct TLS), authentication failures that must not reveal which actors
 * exist, and malformed or oversized messages that must close only their own session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import { needPostgres, postgresReachable } from '../support/postgres.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from './fixtures.js';
import { RawClient, statusOf } from './raw-client.js';
import type { BackendMessage } from '../../src/protocol/backend.js';

let db: TestUpstream;
let proxy: ProxyHarness;

function errorOf(messages: BackendMessage[]) {
  const error = messages.find((m) => m.type === 'ErrorResponse');
  return error?.type === 'ErrorResponse' ? error.fields : undefined;
}

async function loginWith(actor: string, password: string, parameters: Record<string, string> = {}, version?: number) {
  return RawClient.login({ port: proxy.port, user: actor, password, database: db.database, parameters, ...(version ? { version } : {}) });
}

describe('startup and authentication', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  before(async () => {
    db = await createUpstream();
    proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, limits: { maxMessageBytes: 64 * 1024 } });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  test('settings in `options` are decided like the matching SET', async (t) => {
    if (!(await needPostgres(t))) return;
    const attempts: [string, string][] = [
      ['alice', '-c session_replication_role=replica'],
      ['alice', '-c session-replication-role=replica'],
      ['alice', '--session_replication_role=replica'],
      ['alice', '-c standard_conforming_strings=off'],
      ['alice', '-c client_encoding=LATIN1'],
      ['bot', '-c default_transaction_read_only=off'],
      ['bot', '-c statement_timeout=0'],
      ['alice', '-B 100'],
    ];
    for (const [actor, options] of attempts) {
      const { client, messages } = await loginWith(actor, SECRETS[actor as keyof typeof SECRETS], { options });
      const error = errorOf(messages);
      assert.equal(error?.code, '42501', `${actor} with options \`${options}\`: ${JSON.stringify(error)}`);
      assert.equal(error?.severity, 'FATAL');
      assert.equal(statusOf(messages), undefined);
      client.close();
    }
    // A harmless setting passes and reaches the upstream session.
    const { client, messages } = await loginWith('alice', SECRETS.alice, { options: '-c work_mem=8MB' });
    assert.equal(statusOf(messages), 'I', JSON.stringify(errorOf(messages)));
    const shown = (await client.query('SHOW work_mem')).find((m) => m.type === 'DataRow');
    assert.equal(shown?.type === 'DataRow' ? shown.values[0]?.toString() : undefined, '8MB');
    client.close();
  });

  test('replication connections, unknown parameters and other encodings are refused', async (t) => {
    if (!(await needPostgres(t))) return;
    for (const parameters of <Record<string, string>[]>[{ replication: 'database' }, { replication: 'true' }, { session_replication_role: 'replica' }, { client_encoding: 'LATIN1' }]) {
      const { client, messages } = await loginWith('alice', SECRETS.alice, parameters);
      assert.ok(['42501', '22023'].includes(errorOf(messages)?.code ?? ''), JSON.stringify(parameters));
      assert.equal(statusOf(messages), undefined);
      client.close();
    }
  });

  test('a wrong password and an unknown actor get the same 28P01', async (t) => {
    if (!(await needPostgres(t))) return;
    const wrong = await loginWith('alice', 'not-the-password');
    const unknown = await loginWith('mallory', 'whatever');
    const a = errorOf(wrong.messages);
    const b = errorOf(unknown.messages);
    assert.equal(a?.code, '28P01');
    assert.equal(b?.code, '28P01');
    assert.equal(a?.message.replace('alice', 'X'), b?.message.replace('mallory', 'X'));
    // Both went through the same SCRAM exchange before failing.
    assert.deepEqual(wrong.messages.map((m) => m.type), unknown.messages.map((m) => m.type));
    wrong.client.close();
    unknown.client.close();
  });

  test('SSLRequest and GSSENCRequest are answered N; a newer minor version gets NegotiateProtocolVersion', async (t) => {
    if (!(await needPostgres(t))) return;
    for (const request of [fe.sslRequest(), fe.gssencRequest()]) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ port: proxy.port, host: '127.0.0.1' }, () => socket.write(request));
        socket.once('data', (chunk) => {
          resolve(chunk.toString('latin1'));
          socket.destroy();
        });
        socket.once('error', reject);
      });
      assert.equal(answer, 'N');
    }
    const newer = await loginWith('alice', SECRETS.alice, { '_pq_.compression': 'on' }, (3 << 16) | 2);
    const negotiate = newer.messages.find((m) => m.type === 'NegotiateProtocolVersion');
    assert.ok(negotiate?.type === 'NegotiateProtocolVersion', JSON.stringify(newer.messages));
    assert.equal(negotiate.newestMinor, 0);
    assert.deepEqual(negotiate.unrecognizedOptions, ['_pq_.compression']);
    assert.equal(statusOf(newer.messages), 'I');
    newer.client.close();
  });

  test('a malformed message closes only its own session', async (t) => {
    if (!(await needPostgres(t))) return;
    const other = await loginWith('alice', SECRETS.alice);
    const bad = await loginWith('alice', SECRETS.alice);
    bad.client.send(Buffer.from([0x51, 0, 0, 0, 2])); // Query with a length below 4
    const rest = await bad.client.closedByServer();
    assert.equal(errorOf(rest)?.code, '08P01');
    const unknownType = await loginWith('alice', SECRETS.alice);
    unknownType.client.send(Buffer.from([0x7a, 0, 0, 0, 4]));
    assert.equal(errorOf(await unknownType.client.closedByServer())?.code, '08P01');
    const oversized = await loginWith('alice', SECRETS.alice);
    oversized.client.send(fe.query(`SELECT '${'x'.repeat(100 * 1024)}'`));
    assert.equal(errorOf(await oversized.client.closedByServer())?.code, '08P01');
    // The bystander keeps working.
    assert.equal(statusOf(await other.client.query('SELECT 1')), 'I');
    other.client.close();
  });

  test('a direct TLS start is closed without a reply', async (t) => {
    if (!(await needPostgres(t))) return;
    const raw = await RawClient.open(proxy.port);
    raw.send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    assert.deepEqual(await raw.closedByServer(), []);
  });

  async function pgConnectsWith(extra: pg.ClientConfig): Promise<string> {
    const client = new pg.Client({ connectionString: proxy.url('alice', SECRETS.alice), ...extra });
    try {
      await client.connect();
      await client.query('select 1');
      return 'ok';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  }

  test('sslmode=prefer falls back to plaintext; sslmode=require is refused by the client', async (t) => {
    if (!(await needPostgres(t))) return;
    const required = await pgConnectsWith({ ssl: { rejectUnauthorized: false } });
    assert.match(required, /SSL/i);
  });
});
