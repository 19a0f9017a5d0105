import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ScramClientSession,
  ScramServerSession,
  createVerifier,
  md5Password,
  parseVerifier,
  saslprep,
} from '../../src/protocol/scram.js';
import { ProtocolError } from '../../src/protocol/errors.js';

// RFC 7677 section 3.
const rfc = {
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const rfcVerifier = () => parseVerifier(createVerifier(rfc.password, { salt: Buffer.from(rfc.salt, 'base64') }));
const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

test('client side reproduces the RFC 7677 exchange', () => {
  const client = new ScramClientSession(rfc.password, { nonce: rfc.clientNonce, username: 'user' });
  assert.equal(client.clientFirst().toString(), rfc.clientFirst);
  assert.deepEqual(client.serverFirst(Buffer.from(rfc.serverFirst)), { salt: Buffer.from(rfc.salt, 'base64'), iterations: 4096 });
  assert.equal(client.clientFinal().toString(), rfc.clientFinal);
  assert.equal(client.verifyServerFinal(Buffer.from(rfc.serverFinal)), true);
  assert.equal(client.verifyServerFinal(Buffer.from('v=' + Buffer.alloc(32).toString('base64'))), false);
});

test('server side reproduces the RFC 7677 exchange', () => {
  const server = new ScramServerSession(rfcVerifier(), { nonce: () => rfc.serverNonce });
  assert.equal(server.clientFirst(Buffer.from(rfc.clientFirst)).toString(), rfc.serverFirst);
  assert.deepEqual(server.clientFinal(Buffer.from(rfc.clientFinal)), { ok: true, serverFinal: Buffer.from(rfc.serverFinal) });
});

test('verifiers use PostgreSQL\'s text format and parse back', () => {
  const text = createVerifier('pencil', { salt: Buffer.from(rfc.salt, 'base64'), iterations: 4096 });
  assert.match(text, /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  const parsed = parseVerifier(text);
  assert.equal(parsed.iterations, 4096);
  assert.equal(parsed.storedKey.length, 32);
  for (const bad of ['', 'md5abc', 'SCRAM-SHA-256$4096:c2FsdA==$abc:def', 'SCRAM-SHA-256$x:c2FsdA==$' + 'A'.repeat(44) + ':' + 'A'.repeat(44)]) {
    assert.throws(() => parseVerifier(bad), isCode('scram-malformed'), bad);
  }
});

function login(password: string, server: ScramServerSession) {
  const client = new ScramClientSession(password);
  const serverFirst = server.clientFirst(client.clientFirst());
  client.serverFirst(serverFirst);
  const result = server.clientFinal(client.clientFinal());
  return { client, serverFirst, result };
}

test('client and server agree; a wrong password fails at the proof', () => {
  const verifier = parseVerifier(createVerifier('s3cret ✓', { iterations: 1000 }));
  const good = login('s3cret ✓', new ScramServerSession(verifier));
  assert.equal(good.result.ok, true);
  assert.equal(good.result.ok && good.client.verifyServerFinal(good.result.serverFinal), true);
  assert.deepEqual(login('wrong', new ScramServerSession(verifier)).result, { ok: false, reason: 'wrong-password' });
});

test('the mock exchange for unknown users looks like a real one and always fails', () => {
  const secret = randomBytes(32);
  const real = parseVerifier(createVerifier('pw'));
  const shape = (serverFirst: Buffer) => serverFirst.toString().replace(/r=[^,]+/, 'r=').replace(/s=[^,]+/, (s) => `s=<${Buffer.from(s.slice(2), 'base64').length}>`);
  const mockA1 = login('pw', ScramServerSession.mock('alice', secret));
  const mockA2 = login('pw', ScramServerSession.mock('alice', secret));
  const mockB = login('pw', ScramServerSession.mock('bob', secret));
  const known = login('pw', new ScramServerSession(real));
  assert.equal(shape(mockA1.serverFirst), shape(known.serverFirst));
  const salt = (b: Buffer) => /s=([^,]+)/.exec(b.toString())![1];
  assert.equal(salt(mockA1.serverFirst), salt(mockA2.serverFirst), 'stable salt per name');
  assert.notEqual(salt(mockA1.serverFirst), salt(mockB.serverFirst), 'different salt per name');
  assert.notEqual(salt(mockA1.serverFirst), salt(login('pw', ScramServerSession.mock('alice', randomBytes(32))).serverFirst), 'salt depends on the secret');
  assert.deepEqual(mockA1.result, { ok: false, reason: 'unknown-user' });
  assert.equal(known.result.ok, true);
});

test('server: gs2 flags, authzid, channel binding and malformed messages', () => {
  const verifier = parseVerifier(createVerifier('pw', { iterations: 16 }));
  const first = (text: string) => new ScramServerSession(verifier).clientFirst(Buffer.from(text));
  assert.match(first('y,,n=,r=abc').toString(), /^r=abc/);
  assert.match(first('n,,n=ignored,r=abc,x=ext').toString(), /^r=abc/);
  assert.throws(() => first('p=tls-server-end-point,,n=,r=abc'), isCode('scram-channel-binding'), 'binding data without PLUS');
  assert.throws(() => first('n,a=admin,n=,r=abc'), isCode('scram-unsupported'));
  assert.throws(() => first('n,,m=ext,n=,r=abc'), isCode('scram-unsupported'));
  for (const bad of ['', 'x,,n=,r=abc', 'n,n=,r=abc', 'n,,r=abc', 'n,,n=', 'n,,n=,r=', 'n,,n=,r=a b\u0001', 'n,,n=,r=abc,,']) {
    assert.throws(() => first(bad), isCode('scram-malformed'), JSON.stringify(bad));
  }
  assert.throws(() => new ScramServerSession(verifier).clientFirst(Buffer.from([0x6e, 0x2c, 0x2c, 0xff])), isCode('scram-malformed'));

  const final = (clientFirst: string, build: (nonce: string) => string) => {
    const server = new ScramServerSession(verifier);
    const nonce = /r=([^,]+)/.exec(server.clientFirst(Buffer.from(clientFirst)).toString())![1]!;
    return server.clientFinal(Buffer.from(build(nonce)));
  };
  const proof = Buffer.alloc(32).toString('base64');
  assert.deepEqual(final('n,,n=,r=abc', (n) => `c=biws,r=${n},p=${proof}`), { ok: false, reason: 'wrong-password' });
  assert.deepEqual(final('y,,n=,r=abc', (n) => `c=eSws,r=${n},p=${proof}`), { ok: false, reason: 'wrong-password' });
  assert.throws(() => final('y,,n=,r=abc', (n) => `c=biws,r=${n},p=${proof}`), isCode('scram-channel-binding'), 'binding must echo the header');
  assert.throws(() => final('n,,n=,r=abc', () => `c=biws,r=abcXYZ,p=${proof}`), isCode('scram-malformed'), 'nonce mismatch');
  assert.throws(() => final('n,,n=,r=abc', (n) => `c=biws,r=${n},p=short`), isCode('scram-malformed'));
  assert.throws(() => final('n,,n=,r=abc', (n) => `c=biws,r=${n}`), isCode('scram-malformed'));
  assert.throws(() => final('n,,n=,r=abc', (n) => `r=${n},c=biws,p=${proof}`), isCode('scram-malformed'));
  const server = new ScramServerSession(verifier);
  assert.throws(() => server.clientFinal(Buffer.from(`c=biws,r=x,p=${proof}`)), isCode('scram-malformed'), 'final before first');
});

test('client: rejects server messages that do not follow the exchange', () => {
  const client = () => new ScramClientSession('pw', { nonce: 'abc' });
  for (const bad of ['r=xyz,s=c2FsdA==,i=4096', 'r=abc,s=c2FsdA==,i=4096', 'r=abcd,s=!!,i=4096', 'r=abcd,s=c2FsdA==,i=0', 'r=abcd,s=c2FsdA==,i=-1', 'r=abcd,s=c2FsdA==', 'garbage']) {
    assert.throws(() => client().serverFirst(Buffer.from(bad)), isCode('scram-malformed'), bad);
  }
  assert.throws(() => client().serverFirst(Buffer.from('r=abcd,s=c2FsdA==,i=999999999')), isCode('scram-unsupported'));
  const session = client();
  session.serverFirst(Buffer.from('r=abcd,s=c2FsdA==,i=16'));
  session.clientFinal();
  assert.throws(() => session.verifyServerFinal(Buffer.from('e=invalid-proof')), isCode('scram-malformed'));
  assert.throws(() => session.verifyServerFinal(Buffer.from('x=1')), isCode('scram-malformed'));
});

test('md5 password response matches PostgreSQL\'s construction', () => {
  // md5('postgres' + 'postgres') = 3175bce1d3201d16594cebf9d7eb3f9d, the well-known stored hash.
  assert.equal(md5Password('postgres', 'postgres', Buffer.from([1, 2, 3, 4])), 'md568be9ed08db75f318087ab337aaea044');
});

test('SASLprep: ASCII unchanged, RFC 4013 mappings, prohibited input used raw', () => {
  assert.equal(saslprep('pencil \u0007'), 'pencil \u0007');
  assert.equal(saslprep('I\u00adX'), 'IX');
  assert.equal(saslprep('user\u00a0name'), 'user name');
  assert.equal(saslprep('\u00aa'), 'a');
  assert.equal(saslprep('\u2168'), 'IX');
  assert.equal(saslprep('caf\u0065\u0301'), 'caf\u00e9');
  assert.equal(saslprep('a\u0080b\u00e9'), 'a\u0080b\u00e9', 'prohibited control: raw');
  assert.equal(saslprep('\u00ad'), '\u00ad', 'empty after mapping: raw');
  // The verifier and the client agree for a password that SASLprep changes.
  const verifier = parseVerifier(createVerifier('\u2168pw', { iterations: 16 }));
  assert.equal(login('IXpw', new ScramServerSession(verifier)).result.ok, true);
});

test('node-postgres\'s SCRAM client logs in against the server side', async () => {
  // @ts-expect-error -- pg ships no types for its internal SASL module.
  const sasl = (await import('pg/lib/crypto/sasl.js')).default as {
    startSession(mechanisms: string[]): { response: string; serverSignature?: string };
    continueSession(session: object, password: string, serverData: string): Promise<void>;
    finalizeSession(session: object, serverData: string): void;
  };
  const verifier = parseVerifier(createVerifier('pa ss✓', { iterations: 4096 }));
  for (const [password, expectOk] of [['pa ss✓', true], ['nope', false]] as const) {
    const server = new ScramServerSession(verifier);
    const session = sasl.startSession(['SCRAM-SHA-256']) as { response: string };
    const serverFirst = server.clientFirst(Buffer.from(session.response));
    await sasl.continueSession(session, password, serverFirst.toString());
    const result = server.clientFinal(Buffer.from(session.response));
    assert.equal(result.ok, expectOk);
    if (result.ok) sasl.finalizeSession(session, result.serverFinal.toString());
  }
});
