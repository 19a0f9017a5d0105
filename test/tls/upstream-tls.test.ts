/**
 * TLS to the upstream with libpq's sslmode semantics, against a throwaway cluster with ssl on and a
 * CA made in the test: require, verify-ca, verify-full (right and wrong host name), an untrusted CA,
 * allow/prefer fallbacks, a client certificate (`cert` auth), SCRAM-SHA-256-PLUS with
 * channel_binding=require, cancel over TLS, and the proxy relaying to a verify-full upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectUpstream, type UpstreamConnection } from '../../src/upstream/connect.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { simpleQuery } from '../../src/upstream/simple-query.js';
import { parseUpstreamUrl } from '../../src/upstream/url.js';
import { PG_HOST, PG_PORT, postgresReachable } from '../support/postgres.js';
import { canStartCluster, startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';
import { SECRETS } from '../proxy/fixtures.js';
import { createThrowawayCa, haveOpenssl, type Issued, type ThrowawayCa } from './throwaway-ca.js';
import { startTlsProxy } from './tls-proxy.js';

const usable = canStartCluster() && (await haveOpenssl());

const HBA = `
local all all trust
hostnossl all sslonly 127.0.0.1/32 reject
hostssl all certuser 127.0.0.1/32 cert
hostssl all scramuser 127.0.0.1/32 scram-sha-256
hostssl all parapet_up 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
`;

let ca: ThrowawayCa;
let stranger: ThrowawayCa;
let serverFiles: string;
let clientCert: Issued;
let cluster: ThrowawayCluster;

/** Connects with a libpq-style URL to the cluster; `host` is how the URL names the server. */
async function open(query: string, options: { user?: string; host?: string; password?: string } = {}): Promise<UpstreamConnection> {
  const auth = options.password === undefined ? (options.user ?? 'postgres') : `${options.user}:${options.password}`;
  return connectUpstream(parseUpstreamUrl(`postgres://${auth}@${options.host ?? 'localhost'}:${cluster.port}/postgres?${query}`));
}

/** Whether the server sees this session as TLS. */
async function serverSaysSsl(conn: UpstreamConnection): Promise<boolean> {
  const [[ssl] = []] = await simpleQuery(conn, 'select ssl from pg_stat_ssl where pid = pg_backend_pid()');
  return ssl === 't';
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    const conn = (await promise) as UpstreamConnection;
    conn.close();
  } catch (error) {
    assert.ok(error instanceof UpstreamError, String(error));
    return error;
  }
  assert.fail('expected the connection to fail');
}

describe('TLS to the upstream', { skip: !usable }, () => {
  before(async () => {
    ca = await createThrowawayCa();
    stranger = await createThrowawayCa({ cn: 'Somebody Else CA' });
    // The server certificate names `localhost` only, so 127.0.0.1 is a wrong host name for verify-full.
    const server = await ca.issue('pgserver', { cn: 'localhost', dns: ['localhost'] });
    clientCert = await ca.issue('certuser', { cn: 'certuser', client: true });
    // The server runs as the postgres OS user when we are root: its files must be its own, key 0600.
    serverFiles = mkdtempSync(join(tmpdir(), 'parapet-pgssl-'));
    for (const [from, to] of [[server.cert, 'server.crt'], [server.key, 'server.key'], [ca.cert, 'ca.crt']] as const) copyFileSync(from, join(serverFiles, to));
    writeFileSync(join(serverFiles, 'pg_hba.conf'), HBA);
    chmodSync(join(serverFiles, 'server.key'), 0o600);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const file of ['', 'server.crt', 'server.key', 'ca.crt', 'pg_hba.conf']) chownSync(join(serverFiles, file), uid, gid);
    }
    cluster = await startThrowawayCluster({
      settings: {
        ssl: 'on',
        ssl_cert_file: join(serverFiles, 'server.crt'),
        ssl_key_file: join(serverFiles, 'server.key'),
        ssl_ca_file: join(serverFiles, 'ca.crt'),
        hba_file: join(serverFiles, 'pg_hba.conf'),
      },
    });
    const admin = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`create role sslonly login; create role certuser login; create role scramuser login password 'scram-pw'`);
      await admin.query(`create role parapet_up login password 'up-pw'`);
    } finally {
      await admin.end();
    }
  });
  after(async () => {
    await cluster?.stop();
    if (serverFiles) rmSync(serverFiles, { recursive: true, force: true });
    ca?.remove();
    stranger?.remove();
  });

  test('sslmode=require encrypts without checking the certificate', async () => {
    const conn = await open('sslmode=require');
    assert.equal(conn.encrypted, true);
    assert.equal(await serverSaysSsl(conn), true);
    conn.close();
  });

  test('verify-full: the right host name passes; a name the certificate does not list fails', async () => {
    const good = await open(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}`);
    assert.equal(await serverSaysSsl(good), true);
    good.close();
    const wrongHost = await failure(open(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}`, { host: '127.0.0.1' }));
    assert.equal(wrongHost.code, 'tls-failed');
    assert.match(wrongHost.hint ?? '', /does not name this host/);
  });

  test('verify-ca checks the chain but not the name; an untrusted CA fails verify-ca and require-with-sslrootcert', async () => {
    const byIp = await open(`sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca.cert)}`, { host: '127.0.0.1' });
    assert.equal(await serverSaysSsl(byIp), true);
    byIp.close();
    for (const mode of ['verify-ca', 'verify-full', 'require']) {
      const error = await failure(open(`sslmode=${mode}&sslrootcert=${encodeURIComponent(stranger.cert)}`));
      assert.equal(error.code, 'tls-failed', mode);
    }
    const unreadable = await failure(open(`sslmode=verify-ca&sslrootcert=${encodeURIComponent(join(ca.dir, 'missing.pem'))}`));
    assert.equal(unreadable.code, 'tls-failed');
  });

  test('prefer takes TLS when offered; disable and allow stay plaintext when the server accepts it', async () => {
    const preferred = await open('sslmode=prefer');
    assert.equal(await serverSaysSsl(preferred), true);
    preferred.close();
    for (const mode of ['disable', 'allow']) {
      const conn = await open(`sslmode=${mode}`);
      assert.equal(conn.encrypted, false, mode);
      assert.equal(await serverSaysSsl(conn), false, mode);
      conn.close();
    }
  });

  test('allow retries with TLS when the server refuses plaintext (hostnossl reject)', async () => {
    const conn = await open('sslmode=allow', { user: 'sslonly' });
    assert.equal(await serverSaysSsl(conn), true);
    conn.close();
    const refused = await failure(open('sslmode=disable', { user: 'sslonly' }));
    assert.equal(refused.code, 'auth-failed');
  });

  test('a server without TLS: require is refused (tls-refused), prefer falls back to plaintext', async (t) => {
    if (!(await postgresReachable())) return t.skip('the shared PostgreSQL is unreachable');
    const url = (mode: string) => `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres?sslmode=${mode}`;
    const refused = await failure(connectUpstream(parseUpstreamUrl(url('require'))));
    assert.equal(refused.code, 'tls-refused');
    const plain = await connectUpstream(parseUpstreamUrl(url('prefer')));
    assert.equal(plain.encrypted, false);
    plain.close();
  });

  test('a client certificate logs in with `cert` auth; without it the server refuses', async () => {
    const files = `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}&sslcert=${encodeURIComponent(clientCert.cert)}&sslkey=${encodeURIComponent(clientCert.key)}`;
    const conn = await open(files, { user: 'certuser' });
    const [[user] = []] = await simpleQuery(conn, 'select current_user');
    assert.equal(user, 'certuser');
    conn.close();
    const without = await failure(open(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}`, { user: 'certuser' }));
    assert.equal(without.code, 'auth-failed');
  });

  test('SCRAM-SHA-256-PLUS: channel_binding=require binds over TLS; channel_binding=disable and prefer log in too', async () => {
    for (const binding of ['require', 'prefer', 'disable']) {
      const conn = await open(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}&channel_binding=${binding}`, { user: 'scramuser', password: 'scram-pw' });
      assert.equal(await serverSaysSsl(conn), true, binding);
      conn.close();
    }
    const wrong = await failure(open('sslmode=require&channel_binding=require', { user: 'scramuser', password: 'nope' }));
    assert.equal(wrong.code, 'auth-failed');
    // `trust` authenticates without any exchange: channel_binding=require must not accept that.
    const trusted = await failure(open('sslmode=require&channel_binding=require', { user: 'postgres' }));
    assert.equal(trusted.code, 'channel-binding');
  });

  test('cancel reaches a session that runs over TLS', async () => {
    const conn = await open(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}`, { user: 'sslonly' });
    const sleeping = simpleQuery(conn, 'select pg_sleep(30)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await conn.cancel();
    const error = await sleeping;
    assert.ok(error instanceof UpstreamError && error.sqlstate === '57014', String(error));
    conn.close();
  });

  test('the proxy relays to a verify-full upstream (the upstream session is TLS)', async () => {
    const upstreamUrl = `postgres://parapet_up:up-pw@localhost:${cluster.port}/postgres?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}&channel_binding=require`;
    const proxy = await startTlsProxy(upstreamUrl, undefined);
    try {
      const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: SECRETS.alice, database: 'postgres' });
      await client.connect().catch((error: unknown) => assert.fail(`${String(error)}\n${proxy.logs.join('\n')}`));
      try {
        const { rows } = await client.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
        assert.equal(rows[0].ssl, true);
      } finally {
        await client.end();
      }
    } finally {
      await proxy.stop();
    }
  });
});
