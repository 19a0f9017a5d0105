/** `parapet verifier` turns a password on standard input into a SCRAM-SHA-256 verifier. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifier, parseVerifier } from '../../src/protocol/scram.js';
import { runCli } from '../support/cli.js';

test('prints a verifier derived from the password on standard input', () => {
  const result = runCli(['verifier', '--iterations', '5000'], { input: 'correct horse\n' });
  assert.equal(result.code, 0, result.stderr);
  const line = result.stdout.trim();
  const parsed = parseVerifier(line);
  assert.equal(parsed.iterations, 5000);
  // Same salt and iterations from the same password give the same verifier; another password does not.
  assert.equal(createVerifier('correct horse', { iterations: 5000, salt: parsed.salt }), line);
  assert.notEqual(createVerifier('correct horsE', { iterations: 5000, salt: parsed.salt }), line);
});

test('refuses an empty password and too few iterations with exit 2', () => {
  assert.equal(runCli(['verifier'], { input: '' }).code, 2);
  const weak = runCli(['verifier', '--iterations', '10'], { input: 'pw\n' });
  assert.equal(weak.code, 2);
  assert.match(weak.stderr, /--iterations/);
});
