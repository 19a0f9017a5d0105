/**
 * The one-pass DataRow rewrite, byte for byte: every style over NULLs, empty and multi-byte values,
 * binary and non-text fields, unmasked runs copied exactly, rows that outgrow the output block, and
 * malformed rows refused. Also the keyed hash's BLAKE2s against RFC 7693 and Node's unkeyed one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as be from '../../src/protocol/encode-backend.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { Blake2s } from '../../src/results/blake2s.js';
import { MaskHasher } from '../../src/results/mask-hash.js';
import { fieldMasker, type FieldMasker, type MaskRule } from '../../src/results/mask-values.js';
import { OutputBlock, rewriteDataRow } from '../../src/results/row-rewrite.js';

const TEXT = 25;
const JSONB = 3802;
const INT4 = 23;
const hasher = new MaskHasher(Buffer.alloc(32, 7));
const mask = (rule: MaskRule, typeOid = TEXT, format = 0): FieldMasker => fieldMasker(rule, typeOid, format, hasher);
const payload = (row: Buffer): Buffer => row.subarray(5);
/** The rewrite of `values` must be exactly the DataRow of `expected`. */
function rewrites(values: (string | null)[], maskers: (FieldMasker | undefined)[], expected: (string | null)[], output = new OutputBlock()): void {
  assert.deepEqual(rewriteDataRow(payload(be.dataRow(values)), maskers, output), be.dataRow(expected));
}

test('each style rewrites the masked fields byte for byte and copies the others exactly', () => {
  const values = ['1', 'alice@example.com', null, 'x'.repeat(100), '123-45-6789'];
  const hash = hasher.hex(Buffer.from('123-45-6789'));
  rewrites(values, [undefined, mask({ style: 'redact' }), mask({ style: 'redact' }), undefined, mask({ style: 'hash' })], ['1', '****', null, 'x'.repeat(100), hash]);
  rewrites(values, [undefined, mask({ style: 'null' }), undefined, undefined, mask({ style: 'partial', keep: 4 })], ['1', null, null, 'x'.repeat(100), '****6789']);
  rewrites(values, [], values);
  assert.equal(hash.length, 32);
  assert.match(hash, /^[0-9a-f]{32}$/);
});

test('NULL stays NULL under every style; an empty value is masked like any other', () => {
  for (const style of ['redact', 'partial', 'hash', 'null'] as const) rewrites([null], [mask({ style, keep: 2 })], [null]);
  rewrites([''], [mask({ style: 'redact' })], ['****']);
  rewrites([''], [mask({ style: 'partial', keep: 4 })], ['****']);
  rewrites([''], [mask({ style: 'null' })], [null]);
  rewrites([''], [mask({ style: 'hash' })], [hasher.hex(Buffer.alloc(0))]);
  assert.notEqual(hasher.hex(Buffer.alloc(0)), hasher.hex(Buffer.from(' ')));
});

test('partial keeps the last characters, not bytes, of multi-byte UTF-8, and never half or more', () => {
  rewrites(['naïve café ✓'], [mask({ style: 'partial', keep: 3 })], ['****é ✓']);
  rewrites(['日本語テキスト'], [mask({ style: 'partial', keep: 2 })], ['****スト']);
  rewrites(['😀😁😂😃'], [mask({ style: 'partial', keep: 4 })], ['****😂😃']);
  rewrites(['ab'], [mask({ style: 'partial', keep: 4 })], ['****b']);
  rewrites(['a'], [mask({ style: 'partial', keep: 4 })], ['****']);
});

test('JSON fields get JSON: placeholders and hashes as strings, partial of the string itself', () => {
  rewrites(['{"a":1}'], [mask({ style: 'redact' }, JSONB)], ['"****"']);
  rewrites(['"secret-1234"'], [mask({ style: 'partial', keep: 4 }, JSONB)], ['"****1234"']);
  rewrites(['"a\\"b\\"cd"'], [mask({ style: 'partial', keep: 2 }, JSONB)], ['"****cd"']);
  rewrites(['{"k":"v"}'], [mask({ style: 'hash' }, JSONB)], [`"${hasher.hex(Buffer.from('{"k":"v"}'))}"`]);
});

test('binary fields and non-text types become NULL whatever the style', () => {
  for (const style of ['redact', 'partial', 'hash'] as const) {
    rewrites(['\u0000\u0001'], [mask({ style, keep: 4 }, TEXT, 1)], [null]);
    rewrites(['42'], [mask({ style, keep: 4 }, INT4)], [null]);
  }
});

test('rows outgrowing the block start a new one, and rows handed out are never written over', () => {
  const output = new OutputBlock(256);
  const maskers = [undefined, mask({ style: 'hash' })];
  const sent: Buffer[] = [];
  const expected: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const values = [String(i), `user${i}@example.com`];
    sent.push(rewriteDataRow(payload(be.dataRow(values)), maskers, output));
    expected.push(be.dataRow([String(i), hasher.hex(Buffer.from(values[1]!))]));
  }
  assert.deepEqual(sent, expected);
  // Larger than half a block: a buffer of its own, still exact.
  rewrites(['y'.repeat(300), 'secret'], [undefined, mask({ style: 'redact' })], ['y'.repeat(300), '****'], output);
});

test('a malformed DataRow is refused, not rewritten', () => {
  const good = payload(be.dataRow(['a', 'b']));
  const maskers = [mask({ style: 'redact' }), undefined];
  const refused = (bytes: Buffer) => assert.throws(() => rewriteDataRow(bytes, maskers, new OutputBlock()), (e: unknown) => e instanceof ProtocolError && e.code === 'malformed-message');
  refused(good.subarray(0, good.length - 1));
  refused(Buffer.concat([good, Buffer.from([0])]));
  const bad = Buffer.from(good);
  bad.writeInt32BE(-2, 2);
  refused(bad);
  refused(Buffer.from([0]));
});

test('BLAKE2s: the RFC 7693 vector, the keyed reference vectors, and Node’s unkeyed digest at every length', () => {
  const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
  assert.equal(hex(new Blake2s(32).digest(Buffer.from('abc'))), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
  // blake2s-kat.txt (the BLAKE2 reference), key 00…1f: the messages (empty), 00, and 00…fe (four blocks).
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(hex(new Blake2s(32, key).digest(Buffer.alloc(0))), '48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49');
  assert.equal(hex(new Blake2s(32, key).digest(Buffer.from([0]))), '40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1');
  const counting = Buffer.from(Array.from({ length: 255 }, (_, i) => i));
  assert.equal(hex(new Blake2s(32, key).digest(counting)), '3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd');
  const unkeyed = new Blake2s(32);
  for (let n = 0; n <= 200; n++) {
    const data = randomBytes(n);
    assert.equal(hex(unkeyed.digest(data)), createHash('blake2s256').update(data).digest('hex'), `length ${n}`);
  }
  // digestInto reads only its range.
  const out = Buffer.alloc(32);
  unkeyed.digestInto(Buffer.from('xxabcxx'), 2, 5, out, 0);
  assert.equal(hex(out), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
});
