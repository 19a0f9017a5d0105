/**
 * SCRAM-SHA-256-PLUS with `tls-server-end-point`: the certificate hash rules of RFC 5929 (checked
 * against openssl's own fingerprints), and the exchange: binding, downgrade protection, mismatches,
 * and node-postgres's PLUS client against the server side.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { ProtocolError } from '../../src/protocol/errors.js';
import {
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  ScramClientSession,
  ScramServerSession,
  createVerifier,
  parseVerifier,
  scramMechanisms,
} from '../../src/protocol/scram.js';
import { signatureHash, tlsServerEndPoint } from '../../src/tls/certificate-hash.js';
import { createThrowawayCa, haveOpenssl, type ThrowawayCa } from './throwaway-ca.js';

const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;
const verifier = parseVerifier(createVerifier('secret', { iterations: 16 }));
const binding = Buffer.alloc(32, 7);

/** A full exchange between the two sides; returns the server's result. */
function exchange(client: ScramClientSession, server: ScramServerSession, mechanism = client.mechanism) {
  const serverFirst = server.clientFirst(client.clientFirst(), mechanism);
  client.serverFirst(serverFirst);
  const result = server.clientFinal(client.clientFinal());
  if (result.ok) assert.equal(client.verifyServerFinal(result.serverFinal), true);
  return result;
}

let ca: ThrowawayCa | undefined;
before(async () => {
  if (await haveOpenssl()) ca = await createThrowawayCa();
});
after(() => ca?.remove());

test('tls-server-end-point hashes the DER with the signature hash, SHA-256 for SHA-1 (openssl fingerprints agree)', async (t) => {
  if (!ca) return t.skip('openssl is not installed');
  const cases = [
    { name: 'ec256', options: { digest: 'sha256' as const }, expect: 'sha256' },
    { name: 'ec384', options: { digest: 'sha384' as const }, expect: 'sha384' },
    { name: 'sha1', options: { digest: 'sha1' as const }, expect: 'sha256' },
    { name: 'rsa512', options: { digest: 'sha512' as const, key: 'rsa' as const }, expect: 'sha512' },
  ];
  const rsaCa = await createThrowawayCa({ key: 'rsa' });
  try {
    for (const { name, options, expect } of cases) {
      const issued = await ca.issue(name, { cn: 'localhost', ...options, ...(options.key === 'rsa' ? { signer: rsaCa } : {}) });
      const der: Buffer = new X509Certificate(ca.read(issued.cert)).raw;
      assert.equal(signatureHash(der), options.digest, name);
      assert.deepEqual(tlsServerEndPoint(der), await ca.fingerprint(issued.cert, expect), name);
    }
  } finally {
    rsaCa.remove();
  }
  assert.equal(tlsServerEndPoint(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), undefined, 'not a certificate');
  assert.equal(tlsServerEndPoint(Buffer.alloc(0)), undefined);
});

test('an Ed25519 certificate has no binding hash (PostgreSQL offers no PLUS for it either)', async (t) => {
  if (!ca) return t.skip('openssl is not installed');
  const { openssl } = await import('./throwaway-ca.js');
  const key = `${ca.dir}/ed.key`;
  const cert = `${ca.dir}/ed.crt`;
  await openssl(['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=ed', '-days', '1']);
  assert.equal(tlsServerEndPoint(new X509Certificate(ca.read(cert)).raw), undefined);
});

test('PLUS is offered first, and only with binding data', () => {
  assert.deepEqual(scramMechanisms(binding), [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
  assert.deepEqual(scramMechanisms(undefined), [SCRAM_SHA_256]);
});

test('a PLUS exchange over the same channel succeeds; another channel\'s data fails', () => {
  const ok = exchange(new ScramClientSession('secret', { channelBinding: binding }), new ScramServerSession(verifier, { channelBinding: binding }));
  assert.equal(ok.ok, true);
  const other = new ScramClientSession('secret', { channelBinding: Buffer.alloc(32, 8) });
  assert.equal(other.mechanism, SCRAM_SHA_256_PLUS);
  assert.throws(() => exchange(other, new ScramServerSession(verifier, { channelBinding: binding })), isCode('scram-channel-binding'));
  const wrongPassword = exchange(new ScramClientSession('nope', { channelBinding: binding }), new ScramServerSession(verifier, { channelBinding: binding }));
  assert.deepEqual(wrongPassword, { ok: false, reason: 'wrong-password' });
});

test('plain SCRAM over TLS still works when the client does not bind (`n`)', () => {
  const client = new ScramClientSession('secret');
  assert.equal(client.mechanism, SCRAM_SHA_256);
  assert.equal(exchange(client, new ScramServerSession(verifier, { channelBinding: binding })).ok, true);
});

test('downgrade protection: `y` is refused when the server offered PLUS, accepted when it could not', () => {
  const downgraded = new ScramClientSession('secret', { onTls: true });
  assert.match(downgraded.clientFirst().toString(), /^y,,/);
  assert.throws(() => exchange(downgraded, new ScramServerSession(verifier, { channelBinding: binding })), isCode('scram-channel-binding'));
  assert.equal(exchange(new ScramClientSession('secret', { onTls: true }), new ScramServerSession(verifier)).ok, true, 'no TLS binding on the server: `y` is honest');
});

test('mechanism and GS2 flag must agree; unknown binding types and unoffered PLUS are refused', () => {
  const server = () => new ScramServerSession(verifier, { channelBinding: binding });
  assert.throws(() => server().clientFirst(Buffer.from('p=tls-server-end-point,,n=,r=abc'), SCRAM_SHA_256), isCode('scram-channel-binding'));
  assert.throws(() => server().clientFirst(Buffer.from('n,,n=,r=abc'), SCRAM_SHA_256_PLUS), isCode('scram-channel-binding'));
  assert.throws(() => server().clientFirst(Buffer.from('y,,n=,r=abc'), SCRAM_SHA_256_PLUS), isCode('scram-channel-binding'));
  assert.throws(() => server().clientFirst(Buffer.from('p=tls-unique,,n=,r=abc'), SCRAM_SHA_256_PLUS), isCode('scram-unsupported'));
  assert.throws(() => server().clientFirst(Buffer.from('p=,,n=,r=abc'), SCRAM_SHA_256_PLUS), isCode('scram-malformed'));
  assert.throws(() => new ScramServerSession(verifier).clientFirst(Buffer.from('p=tls-server-end-point,,n=,r=abc'), SCRAM_SHA_256_PLUS), isCode('scram-unsupported'));
  assert.throws(() => server().clientFirst(Buffer.from('n,,n=,r=abc'), 'SCRAM-SHA-1'), isCode('scram-unsupported'));
  // A PLUS client that echoes no binding data in `c=` (only the header) fails the binding check.
  const s = server();
  const nonce = /r=([^,]+)/.exec(s.clientFirst(Buffer.from('p=tls-server-end-point,,n=,r=abc'), SCRAM_SHA_256_PLUS).toString())![1]!;
  const header = Buffer.from('p=tls-server-end-point,,').toString('base64');
  assert.throws(() => s.clientFinal(Buffer.from(`c=${header},r=${nonce},p=${Buffer.alloc(32).toString('base64')}`)), isCode('scram-channel-binding'));
});

test('the mock exchange for unknown users offers and checks PLUS the same way', () => {
  const mock = ScramServerSession.mock('ghost', Buffer.alloc(32, 1), { iterations: 16, channelBinding: binding });
  assert.deepEqual(exchange(new ScramClientSession('x', { channelBinding: binding }), mock), { ok: false, reason: 'unknown-user' });
  const downgrade = ScramServerSession.mock('ghost', Buffer.alloc(32, 1), { iterations: 16, channelBinding: binding });
  assert.throws(() => exchange(new ScramClientSession('x', { onTls: true }), downgrade), isCode('scram-channel-binding'));
});

test('node-postgres\'s SCRAM-SHA-256-PLUS client binds to the certificate the server hashes', async (t) => {
  if (!ca) return t.skip('openssl is not installed');
  // @ts-expect-error -- pg ships no types for its internal SASL module.
  const sasl = (await import('pg/lib/crypto/sasl.js')).default as {
    startSession(mechanisms: string[], stream: object): { mechanism: string; response: string };
    continueSession(session: object, password: string, serverData: string, stream: object): Promise<void>;
    finalizeSession(session: object, serverData: string): void;
  };
  const issued = await ca.issue('pgclient-view', { cn: 'localhost', digest: 'sha384' });
  const der = new X509Certificate(ca.read(issued.cert)).raw;
  const stream = { getPeerCertificate: () => ({ raw: der }) };
  const server = new ScramServerSession(verifier, { channelBinding: tlsServerEndPoint(der) });
  const session = sasl.startSession(scramMechanisms(tlsServerEndPoint(der)), stream);
  assert.equal(session.mechanism, SCRAM_SHA_256_PLUS);
  const serverFirst = server.clientFirst(Buffer.from(session.response), session.mechanism);
  await sasl.continueSession(session, 'secret', serverFirst.toString(), stream);
  const result = server.clientFinal(Buffer.from(session.response));
  assert.equal(result.ok, true);
  if (result.ok) sasl.finalizeSession(session, result.serverFinal.toString());
});
