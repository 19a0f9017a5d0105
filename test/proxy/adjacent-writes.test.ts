/** Rows merged into one write only where they are adjacent views of the same memory, in order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdjacentWrites } from '../../src/proxy/adjacent-writes.js';

function bytesOf(text: string): Buffer {
  const bytes = Buffer.alloc(text.length);
  bytes.write(text);
  return bytes;
}

test('adjacent views of one buffer become one write; anything else starts a new one; order is kept', () => {
  const writes: Buffer[] = [];
  const rows = new AdjacentWrites((bytes) => writes.push(Buffer.from(bytes)));
  // Buffer.alloc never takes from the shared pool, so these two are not neighbours in memory.
  const chunk = bytesOf('aaabbbcccddd');
  const other = bytesOf('xyz');
  rows.add(chunk.subarray(0, 3));
  rows.add(chunk.subarray(3, 6));
  rows.add(chunk.subarray(6, 9));
  rows.add(other);
  rows.add(chunk.subarray(9, 12)); // adjacent to the first run, but not to what came just before
  rows.add(chunk.subarray(0, 3)); // the same memory again, not after the previous end
  assert.deepEqual(writes.map(String), ['aaabbbccc', 'xyz', 'ddd']);
  rows.flush();
  rows.flush();
  assert.deepEqual(writes.map(String), ['aaabbbccc', 'xyz', 'ddd', 'aaa']);
});

test('a merged write is a view, not a copy: nothing is held after a flush', () => {
  const writes: Buffer[] = [];
  const rows = new AdjacentWrites((bytes) => writes.push(bytes));
  const chunk = bytesOf('0123456789');
  rows.add(chunk.subarray(2, 4));
  rows.add(chunk.subarray(4, 8));
  rows.flush();
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.buffer, chunk.buffer);
  assert.equal(String(writes[0]), '234567');
  rows.flush();
  assert.equal(writes.length, 1);
});
