/** The serve configuration: defaults, validation with located errors, precedence of flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigErrorCode, DEFAULT_LISTEN, parseDuration, parseHostPort, parseSize } from '../../src/config/index.js';

const FILE = '/etc/parapet/parapet.yaml';

test('no file and no flags gives the documented defaults and the embedded upstream', () => {
  const result = buildConfig(undefined, undefined, { env: {}, cwd: '/tmp' });
  assert.ok(result.ok);
  assert.deepEqual(result.config.listen, DEFAULT_LISTEN);
  assert.equal(result.config.listen.port, 6543);
  assert.equal(result.config.upstream, undefined);
});

test('a full file is read, with relative paths resolved against its folder and env: secrets', () => {
  const text = `
listen: 0.0.0.0:7000
upstream:
  url: postgres://parapet@db:5432/app
  password: env:UP_PW
  onRiskyRole: refuse
  connectTimeout: 3s
  credentials:
    - groups: [readers]
      kinds: agent
      user: parapet_ro
      password: env:RO_PW
policy: policy.yaml
secrets: ./secrets.yaml
environment: production
audit: { path: audit.db, synchronous: full, redact: none }
limits: { maxMessageBytes: 1MiB, authTimeout: 5s, upstreamWait: 250ms, maxConnections: 10, maxPendingMessages: 64 }
`;
  const result = buildConfig(text, FILE, { env: { UP_PW: 'a', RO_PW: 'b' } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  const c = result.config;
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 7000 });
  assert.equal(c.upstream?.password, 'a');
  assert.equal(c.upstream?.onRiskyRole, 'refuse');
  assert.equal(c.upstream?.connectTimeoutMs, 3000);
  assert.deepEqual(c.upstream?.credentials, [{ user: 'parapet_ro', groups: ['readers'], kinds: ['agent'], password: 'b' }]);
  assert.equal(c.policy, '/etc/parapet/policy.yaml');
  assert.equal(c.secrets, '/etc/parapet/secrets.yaml');
  assert.deepEqual(c.audit, { store: 'sqlite', path: '/etc/parapet/audit.db', synchronous: 'full', redact: 'none' });
  assert.equal(c.limits.maxMessageBytes, 1024 * 1024);
  assert.equal(c.limits.upstreamWaitMs, 250);
  assert.equal(c.environment, 'production');
});

test('an unknown key is an error located at the key', () => {
  const result = buildConfig('listen: 127.0.0.1:6543\nupstream:\n  url: postgres://x@h/d\n  onRiskyrole: warn\n', FILE, { env: {} });
  assert.ok(!result.ok);
  assert.equal(result.issues.length, 1);
  assert.equal(result.issues[0]!.code, ConfigErrorCode.unknownKey);
  assert.equal(result.issues[0]!.line, 4);
  assert.equal(result.issues[0]!.column, 3);
  assert.equal(result.issues[0]!.file, FILE);
});

test('bad values, missing env and bad YAML are located errors', () => {
  const bad = buildConfig('listen: nowhere\nlimits:\n  authTimeout: soon\naudit:\n  hmacKey: env:NOPE\n', FILE, { env: {} });
  assert.ok(!bad.ok);
  const located = bad.issues.map((i) => `${i.line}:${i.code}`).sort();
  assert.deepEqual(located, [`1:${ConfigErrorCode.invalidValue}`, `3:${ConfigErrorCode.invalidValue}`, `5:${ConfigErrorCode.missingEnv}`]);
  const yaml = buildConfig('listen: [1\n', FILE, { env: {} });
  assert.ok(!yaml.ok);
  assert.equal(yaml.issues[0]!.code, ConfigErrorCode.yaml);
});

test('flags override the file, and the file overrides PARAPET_UPSTREAM_URL', () => {
  const text = 'upstream:\n  url: postgres://file@h/d\nlisten: 127.0.0.1:1\n';
  const fromFile = buildConfig(text, FILE, { env: { PARAPET_UPSTREAM_URL: 'postgres://env@h/d' } });
  assert.ok(fromFile.ok);
  assert.equal(fromFile.config.upstream?.url, 'postgres://file@h/d');
  const fromEnv = buildConfig(undefined, undefined, { env: { PARAPET_UPSTREAM_URL: 'postgres://env@h/d' } });
  assert.ok(fromEnv.ok);
  assert.equal(fromEnv.config.upstream?.url, 'postgres://env@h/d');
  const fromFlag = buildConfig(text, FILE, { env: {}, flags: { upstream: 'postgres://flag@h/d', listen: ':7' }, cwd: '/w' });
  assert.ok(fromFlag.ok);
  assert.equal(fromFlag.config.upstream?.url, 'postgres://flag@h/d');
  assert.deepEqual(fromFlag.config.listen, { host: '127.0.0.1', port: 7 });
  const badFlag = buildConfig(undefined, undefined, { env: {}, flags: { upstream: 'mysql://x' } });
  assert.ok(!badFlag.ok);
  assert.equal(badFlag.issues[0]!.file, '--upstream');
});

test('unit parsers', () => {
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration(15), 15);
  assert.equal(parseDuration('fast'), undefined);
  assert.equal(parseSize('64kB'), 65536);
  assert.deepEqual(parseHostPort('[::1]:6543'), { host: '::1', port: 6543 });
  assert.equal(parseHostPort('host:99999'), undefined);
});
