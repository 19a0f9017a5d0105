/**
 * The per-statement result transform over backend frames built byte for byte: caps that truncate or
 * fail and hold across Executes, masking styles, binary fields, the bulk-read limit, COPY rows, and
 * scrubbed errors and notices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import * as be from '../../src/protocol/encode-backend.js';
import type { Frame } from '../../src/protocol/frame-reader.js';
import { ResultFilter, type FilterSettings } from '../../src/results/result-filter.js';
import { fieldMasker, maskValue, partial, type MaskRule } from '../../src/results/mask-values.js';
import { MaskHasher } from '../../src/results/mask-hash.js';
import { scrubFields } from '../../src/results/error-scrub.js';
import { maskCopyRow, type CopyShape } from '../../src/results/copy-rows.js';
import type { RowPlan } from '../../src/results/row-plan.js';

const KEY = new MaskHasher(Buffer.from('test-key'));
const masked = (rule: MaskRule, typeOid: number, format: number, value: string) => maskValue(fieldMasker(rule, typeOid, format, KEY), Buffer.from(value))?.toString() ?? null;
const frame = (bytes: Buffer): Frame => ({ code: bytes[0]!, payload: bytes.subarray(5), raw: bytes });
const decode = (bytes: Buffer): BackendMessage => decodeBackend(frame(bytes));
const rows = (n: number, from = 1) => Array.from({ length: n }, (_, i) => be.dataRow([String(from + i), `user${from + i}@example.com`]));

function run(filter: ResultFilter, frames: Buffer[]): BackendMessage[] {
  return frames.flatMap((f) => filter.push(frame(f))).map(decode);
}
const values = (messages: BackendMessage[]) => messages.filter((m) => m.type === 'DataRow').map((m) => (m.type === 'DataRow' ? m.values.map((v) => v?.toString('utf8') ?? null) : []));
const types = (messages: BackendMessage[]) => messages.map((m) => m.type);

test('a truncating cap: rows past it are dropped, a notice says so, the tag counts what was sent', () => {
  const filter = new ResultFilter({ cap: { rows: 3, onExceed: 'truncate' }, scrub: false }, { sent: 0 }, { rows: 0 });
  const out = run(filter, [...rows(5), be.commandComplete('SELECT 5')]);
  assert.deepEqual(types(out), ['DataRow', 'DataRow', 'DataRow', 'NoticeResponse', 'CommandComplete']);
  assert.deepEqual(out.at(-1), { type: 'CommandComplete', tag: 'SELECT 3' });
  // Exactly at the cap: untouched.
  const exact = run(new ResultFilter({ cap: { rows: 3, onExceed: 'truncate' }, scrub: false }, { sent: 0 }, { rows: 0 }), [...rows(3), be.commandComplete('SELECT 3')]);
  assert.deepEqual(types(exact), ['DataRow', 'DataRow', 'DataRow', 'CommandComplete']);
});

test('an erroring cap ends the result with 54000 instead of the tag', () => {
  const filter = new ResultFilter({ cap: { rows: 2, onExceed: 'error' }, scrub: false }, { sent: 0 }, { rows: 0 });
  const out = run(filter, [...rows(4), be.commandComplete('SELECT 4')]);
  assert.deepEqual(types(out), ['DataRow', 'DataRow', 'ErrorResponse']);
  assert.equal(out[2]!.type === 'ErrorResponse' && out[2]!.fields.code, '54000');
  assert.ok(filter.failed);
});

test('the cap holds across Executes of one portal (maxRows cannot slice past it)', () => {
  const counter = { sent: 0 };
  const settings: FilterSettings = { cap: { rows: 3, onExceed: 'truncate' }, scrub: false };
  const first = run(new ResultFilter(settings, counter, { rows: 0 }), [...rows(2), be.portalSuspended()]);
  assert.deepEqual(types(first), ['DataRow', 'DataRow', 'PortalSuspended']);
  const second = run(new ResultFilter(settings, counter, { rows: 0 }), [...rows(2, 3), be.portalSuspended()]);
  // One more row, then the portal is reported complete so a batching client stops.
  assert.deepEqual(types(second), ['DataRow', 'NoticeResponse', 'CommandComplete']);
  assert.deepEqual(values(second), [['3', 'user3@example.com']]);
});

test('masking styles rewrite DataRow values; binary and non-text fields become NULL', () => {
  const plan: RowPlan = {
    maskers: [undefined, fieldMasker({ style: 'partial', keep: 4 }, 25, 0, KEY)],
    bulkMaskers: [],
    masks: true,
    bulk: false,
  };
  const filter = new ResultFilter({ scrub: false }, { sent: 0 }, { rows: 0 });
  filter.plan = plan;
  assert.deepEqual(values(run(filter, [be.dataRow(['1', 'user1@example.com']), be.dataRow(['2', null])])), [['1', '****.com'], ['2', null]]);

  assert.equal(masked({ style: 'redact' }, 1043, 0, 'secret'), '****');
  assert.equal(masked({ style: 'null' }, 25, 0, 'secret'), null);
  assert.equal(masked({ style: 'redact' }, 25, 1, 'secret'), null, 'binary');
  assert.equal(masked({ style: 'redact' }, 23, 0, '42'), null, 'int4');
  assert.equal(masked({ style: 'redact' }, 3802, 0, '{"a":1}'), '"****"', 'jsonb stays JSON');
  const hashed = masked({ style: 'hash' }, 25, 0, 'a@b')!;
  assert.equal(hashed, KEY.hex(Buffer.from('a@b')));
  assert.notEqual(hashed, new MaskHasher(Buffer.from('other-key')).hex(Buffer.from('a@b')));
  assert.equal(hashed.length, 32);
  // partial never shows more than half of a short value.
  assert.equal(partial('ab', 4), '****b');
  assert.equal(partial('', 4), '****');
});

test('the bulk-read limit counts rows carrying watched data per message: error, or mask from then on', () => {
  const plan: RowPlan = { maskers: [undefined, undefined], bulkMaskers: [undefined, fieldMasker({ style: 'redact' }, 25, 0, KEY)], masks: false, bulk: true };
  const bulk = { rows: 0 };
  const masking = new ResultFilter({ bulk: { tags: ['pii'], rows: 2, onExceed: 'mask' }, scrub: false }, { sent: 0 }, bulk);
  masking.plan = plan;
  assert.deepEqual(values(run(masking, rows(3))).map((r) => r[1]), ['user1@example.com', 'user2@example.com', '****']);
  // The next statement of the same message shares the count.
  const erroring = new ResultFilter({ bulk: { tags: ['pii'], rows: 2, onExceed: 'error' }, scrub: false }, { sent: 0 }, bulk);
  erroring.plan = plan;
  const out = run(erroring, [...rows(1), be.commandComplete('SELECT 1')]);
  assert.deepEqual(types(out), ['ErrorResponse']);
});

test('COPY rows: text and CSV values masked in place, header untouched, caps counted per row', () => {
  const text: CopyShape = { format: 'text', delimiter: '\t', nullString: '\\N', quote: '"', escape: '"', header: false, foreignEncoding: false };
  const mask = [undefined, fieldMasker({ style: 'redact' }, 25, 0, KEY)];
  assert.equal(maskCopyRow(Buffer.from('1\tsecret\\tvalue\n'), text, mask).toString(), '1\t****\n');
  assert.equal(maskCopyRow(Buffer.from('1\t\\N\n'), text, mask).toString(), '1\t\\N\n');
  const keepTwo = [undefined, fieldMasker({ style: 'partial', keep: 2 }, 25, 0, KEY)];
  assert.equal(maskCopyRow(Buffer.from('1\tab\\\\cd\n'), text, keepTwo).toString(), '1\t****cd\n');
  const csv: CopyShape = { ...text, format: 'csv', delimiter: ',', nullString: '', header: true };
  assert.equal(maskCopyRow(Buffer.from('1,"a,""quoted"" secret"\n'), csv, mask).toString(), '1,****\n');
  assert.equal(maskCopyRow(Buffer.from('1,\n'), csv, mask).toString(), '1,\n');
  assert.equal(maskCopyRow(Buffer.from('"ab,cd,ef",x\n'), csv, [fieldMasker({ style: 'partial', keep: 4 }, 25, 0, KEY)]).toString(), '"****d,ef",x\n');

  const filter = new ResultFilter({ copy: csv, cap: { rows: 1, onExceed: 'truncate' }, scrub: false }, { sent: 0 }, { rows: 0 });
  filter.plan = { maskers: mask, bulkMaskers: [], masks: true, bulk: false };
  const out = run(filter, [be.copyOutResponse(0, [0, 0]), be.copyData(Buffer.from('id,email\n')), be.copyData(Buffer.from('1,a@b\n')), be.copyData(Buffer.from('2,c@d\n')), be.copyDone(), be.commandComplete('COPY 2')]);
  assert.deepEqual(types(out), ['CopyOutResponse', 'CopyData', 'CopyData', 'CopyDone', 'NoticeResponse', 'CommandComplete']);
  assert.deepEqual(out.filter((m) => m.type === 'CopyData').map((m) => (m.type === 'CopyData' ? m.data.toString() : '')), ['id,email\n', '1,****\n']);
  assert.deepEqual(out.at(-1), { type: 'CommandComplete', tag: 'COPY 1' });
});

test('errors and notices: values withheld, structure kept', () => {
  const cast = scrubFields({ severity: 'ERROR', code: '22P02', message: 'invalid input syntax for type integer: "canary@x"', position: '8' });
  assert.equal(cast.code, '22P02');
  assert.equal(cast.position, '8');
  assert.ok(!cast.message.includes('canary'));
  const unique = scrubFields({ severity: 'ERROR', code: '23505', message: 'duplicate key value violates unique constraint "c_email_key"', detail: 'Key (email)=(canary@x) already exists.', table: 'c', constraint: 'c_email_key' });
  assert.equal(unique.message, 'duplicate key value violates unique constraint "c_email_key"');
  assert.equal(unique.detail, undefined);
  assert.equal(unique.constraint, 'c_email_key');
  const raise = scrubFields({ severity: 'NOTICE', code: '00000', message: 'canary@x', where: 'PL/pgSQL function f() line 1 at RAISE' });
  assert.ok(!JSON.stringify(raise).includes('canary'));
  const syntax = scrubFields({ severity: 'ERROR', code: '42601', message: 'syntax error at or near "FORM"', position: '10' });
  assert.equal(syntax.message, 'syntax error at or near "FORM"');

  const filter = new ResultFilter({ scrub: true }, { sent: 0 }, { rows: 0 });
  const [notice] = run(filter, [be.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'canary@x' })]);
  assert.ok(notice?.type === 'NoticeResponse' && !notice.fields.message.includes('canary'));
});
