import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUpstreamUrl } from '../../src/upstream/url.js';
import { UpstreamError } from '../../src/upstream/errors.js';

test('a full URL: user, percent-encoded password, host, port, database and parameters', () => {
  assert.deepEqual(parseUpstreamUrl('postgres://app%40corp:p%40ss%2Bw%3Ard@db.internal:6543/shop?application_name=parapet&options=-c%20search_path%3Dpublic&sslmode=disable&connect_timeout=5'), {
    user: 'app@corp',
    password: 'p@ss+w:rd',
    host: 'db.internal',
    port: 6543,
    database: 'shop',
    applicationName: 'parapet',
    options: '-c search_path=public',
    connectTimeoutMs: 5000,
  });
});

test('defaults and libpq details', () => {
  assert.deepEqual(parseUpstreamUrl('postgresql://u@h'), { user: 'u', host: 'h', port: 5432, database: 'u', tls: { sslmode: 'prefer' } }, 'libpq\'s default sslmode is prefer');
  assert.equal(parseUpstreamUrl('postgres://u@[::1]:5433/d').host, '::1');
  assert.equal(parseUpstreamUrl('postgres://u@h/d?options=-c+x').options, '-c+x', '`+` is not a space in libpq URIs');
  assert.equal(parseUpstreamUrl('postgres://u@h/d?connect_timeout=1').connectTimeoutMs, 2000, 'libpq minimum of 2 s');
  assert.equal(parseUpstreamUrl('postgres://u@h/d?connect_timeout=0').connectTimeoutMs, 0);
  assert.equal(parseUpstreamUrl('postgres://u@h/d?dbname=other&port=7000&user=v').database, 'other');
  assert.equal(parseUpstreamUrl('postgres://u@h/d?sslmode=prefer&client_encoding=utf8&gssencmode=disable').host, 'h');
});

test('unix sockets: a host that is a directory', () => {
  const viaParameter = parseUpstreamUrl('postgres://u@/d?host=/var/run/postgresql&port=5433');
  assert.equal(viaParameter.socketPath, '/var/run/postgresql/.s.PGSQL.5433');
  assert.equal(parseUpstreamUrl('postgres://u@%2Ftmp%2Fpg/d').socketPath, '/tmp/pg/.s.PGSQL.5432');
  assert.equal(parseUpstreamUrl('postgres://u@h/d').socketPath, undefined);
});

test('what Parapet cannot honour is a bad-url error, never ignored', () => {
  const bad = [
    'mysql://u@h/d',
    'postgres://u@h/d?sslmode=required',
    'postgres://u@h/d?sslmode=verify-full',
    'postgres://u@h/d?sslmode=verify-ca&sslcert=/c&sslkey=/k',
    'postgres://u@h/d?sslrootcert=system&sslmode=require',
    'postgres://u@h/d?sslsni=yes',
    'postgres://u@h/d?sslpassword=x',
    'postgres://u@h/d?sslmode=disable&channel_binding=require',
    'postgres://u@h/d?channel_binding=maybe',
    'postgres://u@h1,h2/d',
    'postgres://h/d',
    'postgres:///d',
    'postgres://u@h/d?sslcert=/x',
    'postgres://u@h/d?target_session_attrs=read-write',
    'postgres://u@h/d?client_encoding=LATIN1',
    'postgres://u@h/d?port=0',
    'postgres://u@h/d?connect_timeout=soon',
    'postgres://u@h:99999/d',
    'postgres://u@h/d?novalue',
    'postgres://u%zz@h/d',
  ];
  for (const url of bad) {
    assert.throws(() => parseUpstreamUrl(url), (e: unknown) => e instanceof UpstreamError && e.code === 'bad-url', url);
  }
});

test('errors never echo the password', () => {
  try {
    parseUpstreamUrl('postgres://u:hunter2@h/d?sslmode=bogus');
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof UpstreamError);
    assert.ok(!String(error.message + error.hint).includes('hunter2'));
  }
});

test('TLS parameters follow libpq: modes, CA file, client certificate, SNI, channel binding', () => {
  const tls = (query: string) => parseUpstreamUrl(`postgres://u@db.example/d?${query}`);
  assert.equal(tls('sslmode=disable').tls, undefined);
  assert.deepEqual(tls('sslmode=require').tls, { sslmode: 'require' });
  assert.deepEqual(tls('sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem&sslsni=0').tls, {
    sslmode: 'verify-full',
    sslrootcert: '/ca.pem',
    sslcert: '/c.pem',
    sslkey: '/k.pem',
    sslsni: false,
  });
  assert.deepEqual(tls('sslrootcert=system').tls, { sslmode: 'verify-full', sslrootcert: 'system' }, 'system roots imply verify-full');
  assert.equal(tls('channel_binding=require').channelBinding, 'require');
  assert.equal(parseUpstreamUrl('postgres://u@/d?host=/tmp&sslmode=require').tls, undefined, 'no TLS on unix sockets, as libpq');
});

test('parseUpstreamTls reads only the TLS parameters', async () => {
  const { parseUpstreamTls } = await import('../../src/upstream/url.js');
  assert.deepEqual(parseUpstreamTls('postgres://x/y?whatever=1&sslmode=verify-ca&sslrootcert=%2Fca.pem'), { tls: { sslmode: 'verify-ca', sslrootcert: '/ca.pem' } });
  assert.deepEqual(parseUpstreamTls('postgres://x/y'), { tls: { sslmode: 'prefer' } });
  for (const url of ['postgres://x/y?sslmode=verify-full', 'postgres://x/y?sslpassword=pw', 'postgres://x/y?sslcrl=/crl.pem', 'postgres://x/y?gssencmode=require']) {
    assert.throws(() => parseUpstreamTls(url), (e: unknown) => e instanceof UpstreamError && e.code === 'bad-url', url);
  }
});
