import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTar } from '../../src/embedded/tar.js';
import { EmbeddedError } from '../../src/embedded/errors.js';

/** One ustar header (+ padded data) for `name`, as PGlite's dumpDataDir writes it. */
function entry(name: string, data = '', type = '0', prefix = ''): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
  put(name, 0);
  put('0000644\0', 100);
  put(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  put(type, 156);
  put('ustar\x0000', 257);
  put(prefix, 345);
  const body = new Uint8Array(Math.ceil(data.length / 512) * 512);
  body.set(new TextEncoder().encode(data));
  return concat(header, body);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const end = new Uint8Array(1024);

function rejectsWith(archive: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readTar(archive), (error: unknown) => {
    assert.ok(error instanceof EmbeddedError);
    assert.equal(error.code, 'EMBEDDED_ASSET_INVALID');
    assert.match(error.message, pattern);
    return true;
  });
}

test('reads directories and files, stripping the leading slash', () => {
  const archive = concat(entry('/base', '', '5'), entry('/base/1', 'x'.repeat(700)), entry('/PG_VERSION', '18\n'), end);
  const entries = readTar(archive);
  assert.deepEqual(entries.map((e) => [e.path, e.type, e.data.length]), [['base', 'directory', 0], ['base/1', 'file', 700], ['PG_VERSION', 'file', 3]]);
  assert.equal(new TextDecoder().decode(entries[2]!.data), '18\n');
  assert.equal(entries[1]!.mode, 0o644);
});

test('joins the ustar prefix for long names', () => {
  const [only] = readTar(concat(entry('file', 'a', '0', 'deep/dir'), end));
  assert.equal(only!.path, 'deep/dir/file');
});

test('refuses entries that would land outside the data directory', () => {
  rejectsWith(concat(entry('../evil', 'x'), end), /outside the data directory/);
  rejectsWith(concat(entry('/base/../../evil', 'x'), end), /outside the data directory/);
});

test('refuses links and other special entries', () => {
  rejectsWith(concat(entry('/link', '', '2'), end), /unsupported type `2`/);
});

test('refuses a truncated archive', () => {
  const whole = entry('/big', 'y'.repeat(2000));
  rejectsWith(whole.subarray(0, 1024), /runs past the end/);
});
