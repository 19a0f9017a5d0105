/**
 * The operational keys of the configuration: limits per actor and timeouts under `limits:`, the
 * `metrics:` section and `--metrics`; every mistake reported where it is. And how a
 * `statement_timeout` value is read when an actor sets one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, type ConfigIssue } from '../../src/config/index.js';
import { limitsFor } from '../../src/proxy/limits.js';
import { timeoutValue } from '../../src/proxy/pinned-timeout.js';

const load = (text: string, flags = {}) => buildConfig(text, '/etc/parapet/parapet.yaml', { env: {}, flags });
const issues = (text: string, flags = {}): ConfigIssue[] => {
  const result = load(text, flags);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.issues;
};

const CONFIG = `limits:
  maxConnections: 500
  maxConnectionsPerActor: 20
  idleTimeout: 10m
  statementTimeout: 30s
  shutdownTimeout: 5s
  actors:
    - kinds: [agent]
      maxConnections: 3
      statementTimeout: 2s
    - groups: [etl]
      actors: [loader]
      statementTimeout: 2h
metrics:
  listen: 127.0.0.1:9187
`;

test('limits, per-actor limits and metrics are read with their units', () => {
  const result = load(CONFIG);
  assert.ok(result.ok);
  const { limits, metrics } = result.config;
  assert.equal(limits.maxConnections, 500);
  assert.equal(limits.maxConnectionsPerActor, 20);
  assert.equal(limits.idleTimeoutMs, 600_000);
  assert.equal(limits.statementTimeoutMs, 30_000);
  assert.equal(limits.shutdownTimeoutMs, 5_000);
  assert.deepEqual(limits.actors, [
    { kinds: ['agent'], maxConnections: 3, statementTimeoutMs: 2000 },
    { groups: ['etl'], actors: ['loader'], statementTimeoutMs: 7_200_000 },
  ]);
  assert.deepEqual(metrics, { listen: { host: '127.0.0.1', port: 9187 } });
});

test('the first matching actor entry wins; unset keys fall back to the global limits', () => {
  const result = load(CONFIG);
  assert.ok(result.ok);
  const limits = result.config.limits;
  const actor = (name: string, kind: 'human' | 'agent', groups: string[] = []) => ({ name, kind, groups, attributes: {} });
  assert.deepEqual(limitsFor(actor('bot', 'agent'), limits), { maxConnections: 3, idleTimeoutMs: 600_000, statementTimeoutMs: 2000 });
  assert.deepEqual(limitsFor(actor('loader', 'human', ['etl']), limits), { maxConnections: 20, idleTimeoutMs: 600_000, statementTimeoutMs: 7_200_000 });
  // `groups` and `actors` must both match.
  assert.deepEqual(limitsFor(actor('other', 'human', ['etl']), limits), { maxConnections: 20, idleTimeoutMs: 600_000, statementTimeoutMs: 30_000 });
});

test('--metrics wins over the file; bad values are reported where they are', () => {
  const flagged = load(CONFIG, { metrics: '0.0.0.0:9999' });
  assert.ok(flagged.ok);
  assert.deepEqual(flagged.config.metrics, { listen: { host: '0.0.0.0', port: 9999 } });

  const found = issues(`limits:
  idleTimeout: soon
  maxConnectionsPerActor: 0
  actors:
    - kinds: [robot]
      maxConnections: 2
    - groups: [x]
metrics:
  listen: nowhere
`, { metrics: 'x' });
  const where = found
    .map((i) => [i.code, i.file === '--metrics' ? '--metrics' : `${i.line}:${i.column}`])
    .sort(([, a], [, b]) => (a === '--metrics' ? 1 : b === '--metrics' ? -1 : a!.localeCompare(b!, 'en', { numeric: true })));
  assert.deepEqual(where, [
    ['config.invalid-value', '2:16'],
    ['config.invalid-value', '3:27'],
    ['config.invalid-value', '5:14'],
    ['config.missing-key', '7:7'],
    ['config.invalid-value', '9:11'],
    ['config.invalid-value', '--metrics'],
  ]);
  assert.deepEqual(issues('metrics: {}\n').map((i) => i.code), ['config.missing-key']);
  assert.deepEqual(issues('limits:\n  actors:\n    - statementTimeut: 2s\n').map((i) => i.code), ['config.unknown-key', 'config.missing-key']);
});

test('statement_timeout values are read as PostgreSQL reads them (milliseconds by default)', () => {
  assert.equal(timeoutValue('0'), 0);
  assert.equal(timeoutValue('1500'), 1500);
  assert.equal(timeoutValue('2s'), 2000);
  assert.equal(timeoutValue(' 1.5 min '), 90_000);
  assert.equal(timeoutValue('1h'), 3_600_000);
  assert.equal(timeoutValue('1d'), 86_400_000);
  assert.equal(timeoutValue('500us'), 0.5);
  assert.equal(timeoutValue('2 weeks'), undefined);
  assert.equal(timeoutValue('default'), undefined);
});
