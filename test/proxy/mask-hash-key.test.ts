/**
 * The `hash` mask style's key is the deployment's: read from `masking.hashKeyFile` (bytes used
 * exactly) or `masking.hashKey` (a value or `env:VAR`), with located errors for a short or missing
 * key or both given. Through the proxy: equal values hash equal within a deployment — across
 * sessions and across a restart — and differently under another key or under no key at all.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildConfig, ConfigErrorCode, type ConfigResult } from '../../src/config/index.js';
import { MaskHasher } from '../../src/results/mask-hash.js';
import { createUpstream, startProxy, type TestUpstream } from '../support/proxy-harness.js';
import { postgresReachable } from '../support/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'parapet-mask-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, 'parapet.yaml');
/** 32 random-looking bytes and a trailing newline: the newline is part of the key. */
const KEY_BYTES = Buffer.concat([Buffer.from('0123456789abcdef0123456789ABCDEF'), Buffer.from('\n')]);
writeFileSync(join(dir, 'mask.key'), KEY_BYTES);
writeFileSync(join(dir, 'short.key'), 'too-short');

const load = (masking: string, env: NodeJS.ProcessEnv = {}): ConfigResult => buildConfig(`listen: 127.0.0.1:6543\nmasking:\n${masking}\n`, FILE, { env });
function failsWith(result: ConfigResult, code: string, line: number): void {
  assert.ok(!result.ok, 'expected a config error');
  assert.equal(result.issues.length, 1, JSON.stringify(result.issues));
  assert.equal(result.issues[0]!.code, code);
  assert.equal(result.issues[0]!.file, FILE);
  assert.equal(result.issues[0]!.line, line);
}

test('masking.hashKeyFile: relative to the config file, its bytes used exactly', () => {
  const result = load('  hashKeyFile: mask.key');
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.masking?.hashKey, KEY_BYTES);
});

test('masking.hashKey: a value, or env:VAR', () => {
  const literal = load(`  hashKey: ${'k'.repeat(32)}`);
  assert.ok(literal.ok);
  assert.deepEqual(literal.config.masking?.hashKey, Buffer.from('k'.repeat(32)));
  const fromEnv = load('  hashKey: env:MASK_KEY', { MASK_KEY: 'e'.repeat(40) });
  assert.ok(fromEnv.ok);
  assert.deepEqual(fromEnv.config.masking?.hashKey, Buffer.from('e'.repeat(40)));
  failsWith(load('  hashKey: env:MASK_KEY'), ConfigErrorCode.missingEnv, 3);
});

test('key errors are located: too short, missing file, both given', () => {
  failsWith(load('  hashKeyFile: short.key'), ConfigErrorCode.invalidValue, 3);
  failsWith(load('  hashKey: short'), ConfigErrorCode.invalidValue, 3);
  failsWith(load('  hashKeyFile: nowhere.key'), ConfigErrorCode.read, 3);
  failsWith(load(`  hashKey: ${'k'.repeat(32)}\n  hashKeyFile: mask.key`), ConfigErrorCode.invalidValue, 4);
  failsWith(load('  hashKeyFiles: mask.key'), ConfigErrorCode.unknownKey, 3);
  // No section: no key, no error (the proxy then uses a random key per process).
  const none = buildConfig('listen: 127.0.0.1:6543\n', FILE, { env: {} });
  assert.ok(none.ok);
  assert.equal(none.config.masking, undefined);
});

const reachable = await postgresReachable();

describe('hashes through the proxy', { skip: !reachable && 'PostgreSQL is unreachable' }, () => {
  const POLICY = `
version: 1
defaults: { agent: allow }
actors:
  agent: { kind: agent }
resources:
  tags:
    public.people.email: [pii]
rules:
  - rule: mask-columns
    params: { tags: [pii], style: hash }
`;
  let upstream: TestUpstream;

  before(async () => {
    upstream = await createUpstream('parapet_mask_key');
    const owner = new pg.Client(upstream.url);
    await owner.connect();
    await owner.query(`CREATE TABLE people (id int PRIMARY KEY, email text);
      INSERT INTO people VALUES (1, 'same@example.com'), (2, 'same@example.com'), (3, 'other@example.com')`);
    await owner.end();
  });
  after(async () => {
    await upstream?.drop();
  });

  /** The hashed emails, in id order, read through a proxy with `key` (none: the random per-process key). */
  async function hashes(key: Buffer | undefined): Promise<{ emails: string[]; warnings: string[] }> {
    const proxy = await startProxy({ upstreamUrl: upstream.url, policyYaml: POLICY, secrets: { agent: 'pw' }, ...(key ? { masking: { hashKey: key } } : {}) });
    try {
      const client = new pg.Client(proxy.url('agent', 'pw'));
      await client.connect();
      try {
        const simple = await client.query<{ email: string }>('SELECT email FROM people ORDER BY id');
        const extended = await client.query<{ email: string }>({ text: 'SELECT email FROM people WHERE id > $1 ORDER BY id', values: [0] });
        assert.deepEqual(extended.rows, simple.rows, 'both protocols hash alike');
        return { emails: simple.rows.map((r) => r.email), warnings: proxy.logs.filter((l) => l.startsWith('warn:') && l.includes('masking.hashKey')) };
      } finally {
        await client.end();
      }
    } finally {
      await proxy.stop();
    }
  }

  test('equal within a deployment and across its restarts; different under another key or none', async () => {
    const first = await hashes(KEY_BYTES);
    const [a, b, c] = first.emails;
    assert.equal(a, b, 'equal values hash equal');
    assert.notEqual(a, c);
    assert.equal(a, new MaskHasher(KEY_BYTES).hex(Buffer.from('same@example.com')), 'the key bytes are used exactly');
    assert.deepEqual(first.warnings, []);
    assert.deepEqual((await hashes(KEY_BYTES)).emails, first.emails, 'a restart with the same key');
    const other = await hashes(Buffer.from('another deployment key, 32 bytes'));
    assert.notEqual(other.emails[0], a);
    assert.equal(other.emails[0], other.emails[1]);
    const none = await hashes(undefined);
    assert.notEqual(none.emails[0], a);
    assert.equal(none.warnings.length, 1, 'one warning about the per-process key');
  });
});
