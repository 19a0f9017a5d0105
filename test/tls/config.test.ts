/**
 * The `tls` configuration: keys, defaults, flags over the file, located errors; and the checks made
 * when the files are loaded at start (unreadable, not PEM, key of another certificate, encrypted key).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildConfig, ConfigErrorCode } from '../../src/config/index.js';
import { TlsError, loadServerTls } from '../../src/tls/index.js';
import { createThrowawayCa, haveOpenssl, openssl, type Issued, type ThrowawayCa } from './throwaway-ca.js';

const build = (yaml: string, flags = {}) => buildConfig(yaml, '/etc/parapet/parapet.yaml', { flags, cwd: '/work', env: {} });

test('a tls section: paths resolved against the config folder, mode allowed by default, client certificates', () => {
  const result = build('tls:\n  cert: certs/server.crt\n  key: /keys/server.key\n  clientCertificates:\n    ca: certs/clients.crt\n');
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.config.tls, {
    mode: 'allowed',
    cert: '/etc/parapet/certs/server.crt',
    key: '/keys/server.key',
    clientCertificates: { ca: '/etc/parapet/certs/clients.crt', identity: 'cn', auth: 'both' },
  });
});

test('no tls section and no flags: TLS is off; mode disabled turns it off explicitly', () => {
  const none = build('');
  assert.ok(none.ok);
  assert.equal(none.config.tls, undefined);
  const disabled = build('tls:\n  mode: disabled\n  cert: a.crt\n  key: a.key\n');
  assert.ok(disabled.ok);
  assert.equal(disabled.config.tls, undefined);
});

test('flags override the file and turn TLS on by themselves', () => {
  const fromFlags = build('', { tlsCert: 'c.pem', tlsKey: 'k.pem' });
  assert.ok(fromFlags.ok);
  assert.deepEqual(fromFlags.config.tls, { mode: 'allowed', cert: '/work/c.pem', key: '/work/k.pem' });
  const required = build('tls:\n  cert: a.crt\n  key: a.key\n', { tlsMode: 'required', tlsCert: 'b.crt' });
  assert.ok(required.ok);
  assert.deepEqual(required.config.tls, { mode: 'required', cert: '/work/b.crt', key: '/etc/parapet/a.key' });
});

test('errors are located: missing key, unknown keys and values, a bad flag', () => {
  const codes = (yaml: string, flags = {}) => {
    const result = build(yaml, flags);
    assert.equal(result.ok, false, yaml);
    return result.ok ? [] : result.issues.map((issue) => [issue.code, issue.file]);
  };
  assert.deepEqual(codes('tls:\n  mode: required\n  cert: a.crt\n'), [[ConfigErrorCode.missingKey, '/etc/parapet/parapet.yaml']]);
  assert.deepEqual(codes('tls:\n  cert: a.crt\n  key: a.key\n  ciphers: x\n'), [[ConfigErrorCode.unknownKey, '/etc/parapet/parapet.yaml']]);
  assert.deepEqual(codes('tls:\n  mode: on\n  cert: a.crt\n  key: a.key\n'), [[ConfigErrorCode.invalidValue, '/etc/parapet/parapet.yaml']]);
  assert.deepEqual(codes('tls:\n  cert: a.crt\n  key: a.key\n  clientCertificates:\n    identity: cn\n'), [[ConfigErrorCode.missingKey, '/etc/parapet/parapet.yaml']]);
  assert.deepEqual(codes('tls:\n  cert: a.crt\n  key: a.key\n  clientCertificates:\n    ca: c.crt\n    auth: password\n'), [[ConfigErrorCode.invalidValue, '/etc/parapet/parapet.yaml']]);
  assert.deepEqual(codes('', { tlsMode: 'strict', tlsCert: 'a', tlsKey: 'b' }), [[ConfigErrorCode.invalidValue, '--tls-mode']]);
  assert.deepEqual(codes('', { tlsCert: 'a' }), [[ConfigErrorCode.invalidValue, '--tls-cert']], 'located at the flag given without its key');
  assert.deepEqual(codes('tls:\n  mode: disabled\n  clientCertificates:\n    ca: c.crt\n'), [[ConfigErrorCode.invalidValue, '/etc/parapet/parapet.yaml']]);
});

let ca: ThrowawayCa | undefined;
let server: Issued;
let other: Issued;
before(async () => {
  if (!(await haveOpenssl())) return;
  ca = await createThrowawayCa();
  server = await ca.issue('server', { cn: 'localhost', dns: ['localhost'] });
  other = await ca.issue('other', { cn: 'other' });
});
after(() => ca?.remove());

test('loading at start: a usable pair loads with channel binding; unusable files are typed errors', async (t) => {
  if (!ca) return t.skip('openssl is not installed');
  const loaded = loadServerTls({ mode: 'required', cert: server.cert, key: server.key, clientCertificates: { ca: ca.cert, identity: 'cn', auth: 'cert' } });
  assert.ok(loaded);
  assert.equal(loaded.mode, 'required');
  assert.equal(loaded.channelBinding?.length, 32, 'SHA-256 of an ecdsa-with-SHA256 certificate');
  assert.deepEqual(loaded.clientCertificates, { identity: 'cn', auth: 'cert' });
  assert.deepEqual(loaded.warnings, []);
  assert.equal(loadServerTls({ mode: 'disabled' }), undefined);

  const code = (config: Parameters<typeof loadServerTls>[0]) => {
    try {
      loadServerTls(config);
    } catch (error) {
      assert.ok(error instanceof TlsError, String(error));
      return error.code;
    }
    return 'loaded';
  };
  assert.equal(code({ mode: 'allowed', cert: join(ca.dir, 'missing.crt'), key: server.key }), 'read-file');
  assert.equal(code({ mode: 'allowed', cert: server.key, key: server.key }), 'bad-certificate');
  assert.equal(code({ mode: 'allowed', cert: server.cert, key: server.cert }), 'bad-key');
  assert.equal(code({ mode: 'allowed', cert: server.cert, key: other.key }), 'key-mismatch');
  assert.equal(code({ mode: 'allowed', cert: server.cert, key: server.key, clientCertificates: { ca: server.key, identity: 'cn', auth: 'both' } }), 'bad-ca');
  const encrypted = join(ca.dir, 'encrypted.key');
  await openssl(['pkey', '-in', server.key, '-out', encrypted, '-aes256', '-passout', 'pass:secret']);
  assert.equal(code({ mode: 'allowed', cert: server.cert, key: encrypted }), 'bad-key');
});

test('an expired certificate loads with a warning', async (t) => {
  if (!ca) return t.skip('openssl is not installed');
  const key = join(ca.dir, 'old.key');
  const cert = join(ca.dir, 'old.crt');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=old', '-days', '1']);
  const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  const loaded = loadServerTls({ mode: 'allowed', cert, key }, later);
  assert.ok(loaded?.warnings.some((w) => w.includes('expired')));
});
