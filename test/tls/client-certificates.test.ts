/**
 * Client certificates as identity: the CN must be the actor's name, the certificate must come from
 * the configured CA; `auth: both` still asks for the password, `auth: cert` does not. Every refusal
 * is 28000 and happens before a password is exchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS } from '../proxy/fixtures.js';
import { createThrowawayCa, haveOpenssl, type Issued, type ThrowawayCa } from './throwaway-ca.js';
import { startTlsProxy, type TlsProxy } from './tls-proxy.js';
import { WireClient, errorCode, isReady } from './tls-wire.js';

const run = promisify(execFile);
const usable = (await postgresReachable()) && (await haveOpenssl());

let ca: ThrowawayCa;
let stranger: ThrowawayCa;
let certs: Record<'alice' | 'bob' | 'strangerAlice', Issued>;
let db: TestUpstream;
let both: TlsProxy;
let certOnly: TlsProxy;

describe('client certificates as identity', { skip: !usable && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  const pgClient = async (port: number, options: { cert?: Issued; password?: string; user?: string }) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      database: db.database,
      user: options.user ?? 'alice',
      ...(options.password !== undefined ? { password: options.password } : {}),
      ssl: {
        ca: ca.read(ca.cert),
        servername: 'localhost',
        ...(options.cert ? { cert: ca.read(options.cert.cert), key: ca.read(options.cert.key) } : {}),
      },
    });
    try {
      await client.connect();
      const { rows } = await client.query('select 1 as one');
      return { ok: rows[0].one === 1 } as const;
    } catch (error) {
      return { ok: false, code: (error as { code?: string }).code, message: (error as Error).message } as const;
    } finally {
      await client.end().catch(() => {});
    }
  };

  before(async () => {
    ca = await createThrowawayCa();
    stranger = await createThrowawayCa({ cn: 'Somebody Else CA' });
    const server = await ca.issue('server', { cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    certs = {
      alice: await ca.issue('alice', { cn: 'alice', client: true }),
      bob: await ca.issue('bob', { cn: 'bob', client: true }),
      strangerAlice: await stranger.issue('alice', { cn: 'alice', client: true }),
    };
    db = await createUpstream('parapet_tls_cert');
    const tls = (auth: 'both' | 'cert') => ({ mode: 'allowed' as const, cert: server.cert, key: server.key, clientCertificates: { ca: ca.cert, identity: 'cn' as const, auth } });
    both = await startTlsProxy(db.url, tls('both'));
    certOnly = await startTlsProxy(db.url, tls('cert'));
  });
  after(async () => {
    await both?.stop();
    await certOnly?.stop();
    await db?.drop();
    ca?.remove();
    stranger?.remove();
  });

  test('auth both: the matching certificate and the password log in', async () => {
    assert.deepEqual(await pgClient(both.port, { cert: certs.alice, password: SECRETS.alice }), { ok: true });
    const wrongPassword = await pgClient(both.port, { cert: certs.alice, password: 'nope' });
    assert.equal(wrongPassword.ok, false);
    assert.equal(wrongPassword.code, '28P01');
  });

  test('auth both: another actor\'s certificate, a foreign CA, no certificate, plaintext: 28000', async () => {
    for (const [what, options] of [
      ['bob\'s certificate for alice', { cert: certs.bob, password: SECRETS.alice }],
      ['a certificate from another CA', { cert: certs.strangerAlice, password: SECRETS.alice }],
      ['no certificate', { password: SECRETS.alice }],
    ] as const) {
      const result = await pgClient(both.port, options);
      assert.equal(result.ok, false, what);
      assert.equal(result.code, '28000', what);
    }
    const plain = await WireClient.open(both.port, { kind: 'plain' });
    const { messages } = await plain.login({ user: 'alice', password: SECRETS.alice, database: db.database });
    assert.equal(errorCode(messages), '28000');
    assert.equal(messages.some((m) => m.type === 'AuthenticationSASL'), false);
  });

  test('auth cert: the certificate alone logs in (psql without a password), nothing else does', async () => {
    const conninfo = `host=localhost port=${certOnly.port} dbname=${db.database} user=alice sslmode=verify-full sslrootcert=${ca.cert} sslcert=${certs.alice.cert} sslkey=${certs.alice.key}`;
    const { stdout } = await run('psql', [conninfo, '-w', '-Atc', 'select 7'], { env: { ...process.env, PGPASSWORD: '' } });
    assert.equal(stdout.trim(), '7');
    const wire = await WireClient.open(certOnly.port, {
      kind: 'ssl-request',
      tls: { ca: ca.read(ca.cert), servername: 'localhost', cert: ca.read(certs.alice.cert), key: ca.read(certs.alice.key) },
    });
    const login = await wire.login({ user: 'alice', password: 'irrelevant', database: db.database });
    assert.ok(isReady(login.messages));
    assert.equal(login.mechanisms.length, 0, 'no SASL exchange at all');
    wire.close();
    assert.equal((await pgClient(certOnly.port, { cert: certs.bob, user: 'alice' })).code, '28000');
    assert.equal((await pgClient(certOnly.port, { cert: certs.strangerAlice, user: 'alice' })).code, '28000');
    assert.equal((await pgClient(certOnly.port, { password: SECRETS.alice })).code, '28000', 'a password is no substitute');
  });

  test('auth cert: a valid certificate for an actor the policy does not know is refused', async () => {
    const ghost = await ca.issue('ghost', { cn: 'ghost', client: true });
    const result = await pgClient(certOnly.port, { cert: ghost, user: 'ghost' });
    assert.equal(result.code, '28000');
  });
});
