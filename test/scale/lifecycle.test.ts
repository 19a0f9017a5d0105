/**
 * Session lifecycles against a stand-in relay: the statement watchdog (cancel, then close), the
 * cancel sent when a client vanishes mid-statement, and the drain (idle sessions at once, busy ones
 * when their reply is in or at the deadline). Real sessions are covered in limits and faults tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { PgErrorFields } from '../../src/protocol/pg-error.js';
import { SessionLifecycles } from '../../src/proxy/lifecycle.js';
import type { Relay, RelayObserver } from '../../src/proxy/relay.js';
import { waitFor } from '../support/wait.js';

class FakeRelay {
  readonly actor = { name: 'alice', kind: 'human' as const, groups: [], attributes: {} };
  observer: RelayObserver | undefined;
  cancels = 0;
  ended: { reason: string; error?: PgErrorFields } | undefined;
  readonly socket = new EventEmitter();
  cancel(): void {
    this.cancels++;
  }
  end(reason: string, error?: PgErrorFields): void {
    this.ended ??= { reason, ...(error ? { error } : {}) };
    this.socket.emit('close');
  }
}

/** The SQLSTATE the session was closed with (a function, so asserts do not narrow the field away). */
const closedWith = (relay: FakeRelay): string | undefined => relay.ended?.error?.code;

const quietLog = { info() {}, warn() {}, error() {} };

function watched(lifecycles: SessionLifecycles): FakeRelay {
  const relay = new FakeRelay();
  lifecycles.watch(relay as unknown as Relay, relay.socket as unknown as Socket);
  return relay;
}

test('the watchdog cancels a statement that outlives its timeout, then closes the session if it runs on', async () => {
  const timeouts: string[] = [];
  const lifecycles = new SessionLifecycles({ statementTimeoutMs: 20 }, quietLog, { timeout: (kind) => timeouts.push(kind) });
  const relay = watched(lifecycles);
  relay.observer!.busy();
  await waitFor(() => relay.ended !== undefined);
  assert.ok(relay.cancels >= 1, 'cancelled before it was closed');
  assert.equal(closedWith(relay), '57014');
  assert.deepEqual(timeouts, ['statement', 'statement']);
});

test('a statement that completes in time is left alone', async () => {
  const lifecycles = new SessionLifecycles({ statementTimeoutMs: 10_000 }, quietLog);
  const relay = watched(lifecycles);
  relay.observer!.busy();
  relay.observer!.idle('I');
  relay.socket.emit('close');
  assert.equal(relay.cancels, 0);
  assert.equal(relay.ended, undefined);
});

test('a client that vanishes mid-statement gets its upstream statement cancelled; an idle one does not', () => {
  const lifecycles = new SessionLifecycles({}, quietLog);
  const busy = watched(lifecycles);
  busy.observer!.busy();
  busy.socket.emit('close');
  assert.equal(busy.cancels, 1);
  const idle = watched(lifecycles);
  idle.socket.emit('close');
  assert.equal(idle.cancels, 0);
});

test('drain closes idle sessions at once and busy ones as soon as their reply is in', async () => {
  const lifecycles = new SessionLifecycles({}, quietLog);
  const idle = watched(lifecycles);
  const busy = watched(lifecycles);
  busy.observer!.busy();
  const drained = lifecycles.drain(60_000);
  assert.equal(closedWith(idle), '57P01');
  assert.equal(busy.ended, undefined);
  busy.observer!.idle('I');
  await drained;
  assert.equal(closedWith(busy), '57P01');
  assert.equal(busy.cancels, 0);
  // A session that becomes ready while draining is closed right away.
  const late = watched(lifecycles);
  await waitFor(() => late.ended !== undefined);
  assert.equal(late.ended!.error?.code, '57P01');
});

test('drain gives up at its deadline; a second signal cuts it short', async () => {
  const lifecycles = new SessionLifecycles({}, quietLog);
  const busy = watched(lifecycles);
  busy.observer!.busy();
  await lifecycles.drain(20);
  assert.equal(busy.ended, undefined, 'the caller closes what is left');

  const other = new SessionLifecycles({}, quietLog);
  const stuck = watched(other);
  stuck.observer!.busy();
  const drained = other.drain(60_000);
  other.cutDrain();
  await drained;
});
