/**
 * A slow client reading a large result: Parapet relays it under back-pressure (the upstream socket
 * is paused while the client's write buffer is full), so its memory does not grow with the result.
 * 200,000 rows of 1 KB (≈ 200 MB) are read first not at all, then at a slow pace; the proxy's RSS
 * (a child process, read from /proc) must stay far below the result's size.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fe from '../../src/protocol/encode-frontend.js';
import { postgresReachable } from '../support/postgres.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';
import { spawnProxy, type ChildProxy } from './child-proxy.js';
import { login } from './wire-session.js';

const ROWS = 200_000;
const ROW_BYTES = 1000;
const RESULT_BYTES = ROWS * ROW_BYTES;
const MiB = 1024 * 1024;

describe('slow clients', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  let db: TestUpstream;
  let proxy: ChildProxy;
  before(async () => {
    db = await createUpstream('parapet_slow');
    proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  test(`a client reading ${ROWS} rows of 1 KB slowly does not make the proxy buffer the result`, async () => {
    const session = await login({ port: proxy.port, user: 'alice', password: SECRETS.alice, database: db.database });
    const socket = session.socket;
    const sql = `select g, repeat('x', ${ROW_BYTES - 8}) || lpad(g::text, 8, '0') from generate_series(1, ${ROWS}) g`;
    // Read the result once at full speed first: the baseline then holds what any result needs,
    // including the parser's WebAssembly code, which V8 optimises in the background once it is hot.
    await readUntilReady(socket, () => socket.write(fe.query(sql)));
    socket.pause();
    const baseline = proxy.memory().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, proxy.memory().rss)), 50);
    try {
      socket.write(fe.query(sql));
      // Not reading at all for a while: everything the server sends piles up somewhere — it must not be the proxy.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const stalled = proxy.memory().rss;
      // Then reading at a slow pace (about 1 MiB every 40 ms).
      const received = await readUntilReady(socket, undefined, { pauseEvery: MiB, pauseMs: 40 });
      assert.ok(received >= RESULT_BYTES, `the whole result arrived (${received} bytes)`);
      const grew = peak - baseline;
      console.log(
        `# slow client: result ${(RESULT_BYTES / MiB).toFixed(0)} MiB; proxy RSS baseline ${(baseline / MiB).toFixed(1)} MiB, ` +
          `after a 2 s stall ${(stalled / MiB).toFixed(1)} MiB, peak while reading ${(peak / MiB).toFixed(1)} MiB (+${(grew / MiB).toFixed(1)} MiB)`,
      );
      assert.ok(grew < RESULT_BYTES / 4, `the proxy's RSS grew by ${(grew / MiB).toFixed(1)} MiB for a ${(RESULT_BYTES / MiB).toFixed(0)} MiB result`);
    } finally {
      clearInterval(sampler);
      socket.end(fe.terminate());
    }
  });
});

/**
 * Reads from the socket until a ReadyForQuery, discarding what comes; returns the bytes read.
 * With `pauseEvery`, pauses for `pauseMs` after each `pauseEvery` bytes (a slow reader).
 */
function readUntilReady(socket: import('node:net').Socket, send?: () => void, pace?: { pauseEvery: number; pauseMs: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    let sincePause = 0;
    let tail = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      sincePause += chunk.length;
      // The result ends with ReadyForQuery: 'Z', length 5, status.
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 6))]).subarray(-6);
      if (tail.length === 6 && tail[0] === 0x5a && tail.readInt32BE(1) === 5) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(total);
        return;
      }
      if (pace && sincePause >= pace.pauseEvery) {
        sincePause = 0;
        socket.pause();
        setTimeout(() => socket.resume(), pace.pauseMs);
      }
    };
    const onClose = (): void => reject(new Error(`the connection closed after ${total} bytes`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
    send?.();
  });
}
