/**
 * TLS toward clients, with a CA made in the test: psql (libpq) with sslmode=require / verify-full and
 * channel_binding=require, node-postgres with a CA and SCRAM-SHA-256-PLUS, direct TLS with ALPN
 * (a raw TLS client, since this psql predates sslnegotiation=direct), downgrade protection, plaintext
 * refused in `required` mode, and data smuggled behind an SSLRequest.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from '../../src/protocol/scram.js';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS } from '../proxy/fixtures.js';
import { createThrowawayCa, haveOpenssl, type Issued, type ThrowawayCa } from './throwaway-ca.js';
import { startTlsProxy, type TlsProxy } from './tls-proxy.js';
import { WireClient, errorCode, isReady } from './tls-wire.js';

const run = promisify(execFile);
const usable = (await postgresReachable()) && (await haveOpenssl());

let ca: ThrowawayCa;
let server: Issued;
let db: TestUpstream;
let allowed: TlsProxy;
let required: TlsProxy;

/** Runs psql with a conninfo; resolves with stdout, or the failure's stderr. */
async function psql(conninfo: string, sql = 'select 1'): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run('psql', [conninfo, '-Atc', sql], { env: { ...process.env, PGPASSWORD: SECRETS.alice, PGSSLCERT: '/nonexistent', PGSSLKEY: '/nonexistent' } });
    return { ok: true, out: stdout.trim() };
  } catch (error) {
    return { ok: false, out: String((error as { stderr?: string }).stderr ?? error) };
  }
}

describe('TLS toward clients', { skip: !usable && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  const conninfo = (proxy: TlsProxy, extra: string, host = 'localhost') => `host=${host} port=${proxy.port} dbname=${db.database} user=alice ${extra}`;
  const tlsOptions = () => ({ ca: ca.read(ca.cert), servername: 'localhost' });

  before(async () => {
    ca = await createThrowawayCa();
    server = await ca.issue('server', { cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    db = await createUpstream('parapet_tls');
    allowed = await startTlsProxy(db.url, { mode: 'allowed', cert: server.cert, key: server.key });
    required = await startTlsProxy(db.url, { mode: 'required', cert: server.cert, key: server.key });
  });
  after(async () => {
    await allowed?.stop();
    await required?.stop();
    await db?.drop();
    ca?.remove();
  });

  test('the start log names the certificate and the mode', () => {
    assert.ok(allowed.logs.some((line) => line.startsWith('info: TLS allowed: CN=localhost')), allowed.logs.join('\n'));
  });

  test('psql: sslmode=require, verify-full (name and IP), and channel_binding=require (libpq\'s SCRAM-SHA-256-PLUS)', async () => {
    assert.deepEqual(await psql(conninfo(allowed, 'sslmode=require')), { ok: true, out: '1' });
    assert.deepEqual(await psql(conninfo(allowed, `sslmode=verify-full sslrootcert=${ca.cert}`)), { ok: true, out: '1' });
    assert.deepEqual(await psql(conninfo(allowed, `sslmode=verify-full sslrootcert=${ca.cert}`, '127.0.0.1')), { ok: true, out: '1' });
    assert.deepEqual(await psql(conninfo(allowed, `sslmode=verify-full sslrootcert=${ca.cert} channel_binding=require`)), { ok: true, out: '1' });
    const wrongPassword = await run('psql', [conninfo(allowed, 'sslmode=require channel_binding=require'), '-Atc', 'select 1'], { env: { ...process.env, PGPASSWORD: 'nope' } }).then(
      () => 'connected',
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(wrongPassword, /password authentication failed/);
  });

  test('psql: channel_binding=require fails without TLS, plaintext works in `allowed` mode', async () => {
    const unbound = await psql(conninfo(allowed, 'sslmode=disable channel_binding=require'));
    assert.equal(unbound.ok, false);
    assert.match(unbound.out, /channel binding/);
    assert.deepEqual(await psql(conninfo(allowed, 'sslmode=disable')), { ok: true, out: '1' });
  });

  test('`required` refuses plaintext with 28000 and serves TLS', async () => {
    const refused = await psql(conninfo(required, 'sslmode=disable'));
    assert.equal(refused.ok, false);
    assert.match(refused.out, /parapet accepts only encrypted connections/);
    const client = await WireClient.open(required.port, { kind: 'plain' });
    const { messages } = await client.login({ user: 'alice', password: SECRETS.alice, database: db.database });
    assert.equal(errorCode(messages), '28000');
    assert.equal(messages.some((m) => m.type === 'AuthenticationSASL'), false, 'refused before any password exchange');
    assert.deepEqual(await psql(conninfo(required, 'sslmode=prefer')), { ok: true, out: '1' });
  });

  test('node-postgres with the CA: verified TLS, SCRAM-SHA-256-PLUS with enableChannelBinding, plain SCRAM without', async () => {
    for (const enableChannelBinding of [true, false]) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: required.port,
        database: db.database,
        user: 'alice',
        password: SECRETS.alice,
        ssl: { ca: ca.read(ca.cert), servername: 'localhost' },
        enableChannelBinding,
      } as pg.ClientConfig);
      await client.connect();
      try {
        const { rows } = await client.query('select 41 + 1 as answer');
        assert.equal(rows[0].answer, 42);
      } finally {
        await client.end();
      }
    }
    const untrusting = new pg.Client({ host: '127.0.0.1', port: required.port, database: db.database, user: 'alice', password: SECRETS.alice, ssl: { servername: 'localhost' } });
    await assert.rejects(untrusting.connect(), /self[- ]signed|unable to (get|verify)/i, 'the throwaway CA is not in the default store');
  });

  test('PLUS is offered only on TLS; a PLUS login over SSLRequest works', async () => {
    const plain = await WireClient.open(allowed.port, { kind: 'plain' });
    const plainLogin = await plain.login({ user: 'alice', password: SECRETS.alice, database: db.database });
    assert.deepEqual(plainLogin.mechanisms, [SCRAM_SHA_256]);
    assert.ok(isReady(plainLogin.messages));
    plain.close();
    const tls = await WireClient.open(allowed.port, { kind: 'ssl-request', tls: tlsOptions() });
    const tlsLogin = await tls.login({ user: 'alice', password: SECRETS.alice, database: db.database, binding: 'plus' });
    assert.deepEqual(tlsLogin.mechanisms, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
    assert.ok(isReady(tlsLogin.messages), JSON.stringify(tlsLogin.messages));
    assert.ok(isReady(await tls.query('select 1')));
    tls.close();
  });

  test('downgrade protection: `y` over TLS is refused (08P01); `n` over TLS is plain SCRAM and works', async () => {
    const downgraded = await WireClient.open(allowed.port, { kind: 'ssl-request', tls: tlsOptions() });
    const refused = await downgraded.login({ user: 'alice', password: SECRETS.alice, database: db.database, binding: 'y' });
    assert.equal(errorCode(refused.messages), '08P01');
    const plainScram = await WireClient.open(allowed.port, { kind: 'ssl-request', tls: tlsOptions() });
    assert.ok(isReady((await plainScram.login({ user: 'alice', password: SECRETS.alice, database: db.database, binding: 'n' })).messages));
    plainScram.close();
    // An unknown actor is refused the same way (the mock exchange binds too): nothing tells actors apart.
    const ghost = await WireClient.open(allowed.port, { kind: 'ssl-request', tls: tlsOptions() });
    assert.equal(errorCode((await ghost.login({ user: 'ghost', password: 'x', database: db.database, binding: 'y' })).messages), '08P01');
  });

  test('direct TLS with ALPN `postgresql` logs in; without ALPN it is refused; another protocol gets a TLS alert', async () => {
    const direct = await WireClient.open(required.port, { kind: 'direct', tls: { ...tlsOptions(), ALPNProtocols: ['postgresql'] } });
    assert.equal(direct.tls?.alpnProtocol, 'postgresql');
    const login = await direct.login({ user: 'alice', password: SECRETS.alice, database: db.database });
    assert.deepEqual(login.mechanisms, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
    assert.ok(isReady(login.messages));
    assert.ok(isReady(await direct.query('select 1')));
    direct.close();

    const noAlpn = await WireClient.open(required.port, { kind: 'direct', tls: tlsOptions() });
    assert.equal(errorCode(await noAlpn.rest()), '08P01');

    await assert.rejects(WireClient.open(required.port, { kind: 'direct', tls: { ...tlsOptions(), ALPNProtocols: ['http/1.1'] } }), /no application protocol/i);
  });

  test('plaintext bytes sent behind the SSLRequest are refused, not carried into TLS', async () => {
    const socket = connect({ port: allowed.port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write(Buffer.concat([fe.sslRequest(), fe.startupMessage({ user: 'alice', database: db.database })]));
    await new Promise((resolve) => socket.once('close', resolve));
    const reply = Buffer.concat(received);
    assert.equal(String.fromCharCode(reply[0]!), 'E', 'an ErrorResponse, not `S`');
    assert.match(reply.toString('latin1'), /C08P01/);
  });

  test('GSSENCRequest is still answered `N` when TLS is on', async () => {
    const socket = connect({ port: allowed.port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(fe.gssencRequest());
    const answer = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    assert.equal(answer.toString('latin1'), 'N');
    socket.destroy();
  });
});
