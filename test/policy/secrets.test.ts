/** The secrets file: verifiers, `env:` references and plaintext (with a warning), located errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PolicyErrorCode } from '../../src/policy/errors.js';
import { isScramVerifier, loadSecrets } from '../../src/policy/secrets.js';

const key = () => randomBytes(32).toString('base64');
const verifier = (iterations = 4096) => `SCRAM-SHA-256$${iterations}:${randomBytes(16).toString('base64')}$${key()}:${key()}`;

test('verifiers, env references and plaintext load per actor', () => {
  const v = verifier();
  const v2 = verifier();
  const text = `actors:\n  alice: ${v}\n  ci: env:CI_SECRET\n  ops: env:OPS_VERIFIER\n  dev: { plaintext: devpass }\n`;
  const result = loadSecrets(text, { file: 'secrets.yaml', env: { CI_SECRET: 'hunter2', OPS_VERIFIER: v2 } });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(Object.fromEntries(result.secrets), { alice: { verifier: v }, ci: { password: 'hunter2' }, ops: { verifier: v2 }, dev: { password: 'devpass' } });
  assert.equal(result.warnings.length, 1, 'plaintext warns');
  assert.equal(result.warnings[0]!.line, 5);
  assert.equal(result.warnings[0]!.severity, 'warning');
});

test('a missing environment variable is an error at its entry', () => {
  const result = loadSecrets('actors:\n  ci: env:NOPE\n', { file: 's.yaml', env: {} });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.issues.map((i) => [i.code, i.line, i.column]), [[PolicyErrorCode.secrets, 2, 7]]);
});

test('malformed verifiers, bare passwords and unknown forms are errors', () => {
  const text = `actors:\n  a: SCRAM-SHA-256$4096:c2FsdA==$short:short\n  b: hunter2\n  c: { password: x }\n  d: [1]\n`;
  const result = loadSecrets(text, { env: {} });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.issues.map((i) => i.line), [2, 3, 4, 5]);
});

test('few iterations and actors the policy does not know are warnings', () => {
  const result = loadSecrets(`actors:\n  alice: ${verifier(100)}\n  ghost: ${verifier()}\n`, { env: {}, actors: new Set(['alice']) });
  assert.ok(result.ok);
  assert.deepEqual(result.warnings.map((w) => w.line), [2, 3]);
});

test('the file holds only `actors`', () => {
  const result = loadSecrets(`actors: {}\nupstream: x\n`, { env: {} });
  assert.equal(result.ok, false);
  assert.equal(loadSecrets('- a\n', { env: {} }).ok, false);
});

test('isScramVerifier checks the shape PostgreSQL stores', () => {
  assert.equal(isScramVerifier(verifier()), true);
  assert.equal(isScramVerifier('md5abc'), false);
  assert.equal(isScramVerifier(`SCRAM-SHA-256$0:${key()}$${key()}:${key()}`), false);
});
