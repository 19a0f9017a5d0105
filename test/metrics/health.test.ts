/**
 * Health and metrics wiring without a server: the audit side of /healthz follows the last write
 * (and probes the store when nothing was written lately), the observed audit port counts what it
 * sees, and metrics live only in the registry they were given — never in prom-client's global one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, register as globalRegistry } from 'prom-client';
import type { AuditInput } from '../../src/audit/index.js';
import { AuditHealth, ProxyMetrics, observedAudit } from '../../src/metrics/index.js';

const actor = { name: 'alice', kind: 'human' as const, groups: [] };

function decision(action: 'allow' | 'deny', rules: string[]): AuditInput {
  return {
    kind: 'decision',
    session: 's1',
    door: 'proxy',
    actor,
    statementIndex: 0,
    statement: 'select 1',
    fingerprint: 'f',
    statementKind: 'select',
    readOnly: true,
    action,
    rules,
    message: '',
    tags: {},
    read: [],
    written: [],
  };
}

test('audit health follows the last write; a failed write makes it fail until a later one succeeds', async () => {
  let writes: 'ok' | 'fail' = 'ok';
  const health = new AuditHealth(async () => ({}), 60_000);
  const port = observedAudit({ record: async () => (writes === 'ok' ? { seq: 1, hash: 'h' } : Promise.reject(new Error('disk full'))) }, new ProxyMetrics(new Registry()), health);
  await port.record(decision('allow', []));
  assert.equal((await health.check()).ok, true);
  writes = 'fail';
  await assert.rejects(port.record(decision('allow', [])));
  const failing = await health.check();
  assert.equal(failing.ok, false);
  assert.match(failing.detail, /disk full/);
  writes = 'ok';
  await port.record(decision('allow', []));
  assert.equal((await health.check()).ok, true);
});

test('with no recent write, health asks the store; a store that does not answer fails', async () => {
  assert.equal((await new AuditHealth(async () => ({}), 0).check()).ok, true);
  const gone = await new AuditHealth(async () => Promise.reject(new Error('the audit trail is closed')), 0).check();
  assert.equal(gone.ok, false);
  assert.match(gone.detail, /closed/);
});

test('the observed audit port counts decisions, sessions by kind and audit failures in its own registry only', async () => {
  const registry = new Registry();
  const metrics = new ProxyMetrics(registry);
  const port = observedAudit({ record: async () => ({ seq: 1, hash: 'h' }) }, metrics, new AuditHealth(async () => ({})));
  await port.record({ kind: 'session', event: 'connect', session: 's1', door: 'proxy', actor });
  await port.record(decision('deny', ['no-drop', 'require-where']));
  await port.record(decision('allow', []));
  // A refused connection records a disconnect without a connect: it must not count down.
  await port.record({ kind: 'session', event: 'disconnect', session: 's2', door: 'proxy', actor });
  const text = await registry.metrics();
  assert.match(text, /parapet_client_connections\{kind="human"\} 1/);
  assert.match(text, /parapet_statements_total\{decision="deny",rule="no-drop"\} 1/);
  assert.match(text, /parapet_statements_total\{decision="allow",rule="none"\} 1/);
  assert.match(text, /parapet_rule_decisions_total\{rule="require-where",decision="deny"\} 1/);
  await port.record({ kind: 'session', event: 'disconnect', session: 's1', door: 'proxy', actor });
  assert.match(await registry.metrics(), /parapet_client_connections\{kind="human"\} 0/);
  assert.doesNotMatch(await globalRegistry.metrics(), /parapet_/);
});
