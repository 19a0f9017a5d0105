/** Upstream authentication against a throwaway cluster with scram-sha-256, md5 and password pg_hba lines. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectUpstream } from '../../src/upstream/connect.js';
import type { UpstreamOptions } from '../../src/upstream/connect.js';
import { simpleQuery } from '../../src/upstream/simple-query.js';
import { parseUpstreamUrl } from '../../src/upstream/url.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { createVerifier } from '../../src/protocol/scram.js';
import { ROLES, clusterUnavailable, startCluster } from './throwaway-cluster.js';
import type { Cluster } from './throwaway-cluster.js';

const unavailable = clusterUnavailable();

describe('upstream authentication', { skip: unavailable }, () => {
  let cluster: Cluster;
  const tcp = (role: { user: string; password?: string }): UpstreamOptions => ({
    host: '127.0.0.1',
    port: cluster.port,
    user: role.user,
    ...(role.password === undefined ? {} : { password: role.password }),
    database: 'postgres',
  });
  const whoami = async (options: UpstreamOptions) => {
    const conn = await connectUpstream(options);
    try {
      return (await simpleQuery(conn, 'select current_user'))[0]![0];
    } finally {
      conn.close();
    }
  };
  const failsWith = (code: string, sqlstate?: string) => (e: unknown) => e instanceof UpstreamError && e.code === code && e.sqlstate === sqlstate;

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('SCRAM-SHA-256: the right password logs in, a wrong one is auth-failed 28P01', async () => {
    assert.equal(await whoami(tcp(ROLES.scram)), ROLES.scram.user);
    await assert.rejects(connectUpstream(tcp({ user: ROLES.scram.user, password: 'wrong' })), failsWith('auth-failed', '28P01'));
  });

  test('md5: the right password logs in, a wrong one is auth-failed 28P01', async () => {
    assert.equal(await whoami(tcp(ROLES.md5)), ROLES.md5.user);
    await assert.rejects(connectUpstream(tcp({ user: ROLES.md5.user, password: 'wrong' })), failsWith('auth-failed', '28P01'));
  });

  test('cleartext password: logs in', async () => {
    assert.equal(await whoami(tcp(ROLES.clear)), ROLES.clear.user);
  });

  test('a server that asks for a password when none is configured: auth-failed', async () => {
    await assert.rejects(connectUpstream(tcp({ user: ROLES.scram.user })), failsWith('auth-failed'));
  });

  test('an unknown role with SCRAM is auth-failed 28P01, like a wrong password', async () => {
    await assert.rejects(connectUpstream(tcp({ user: 'parapet_nobody', password: 'x' })), failsWith('auth-failed', '28P01'));
  });

  test('a verifier made by createVerifier is accepted by PostgreSQL as the role password', async () => {
    const role = 'parapet_verifier';
    const password = 'from Parapet\u00a0✓';
    await cluster.psql(`create role ${role} login password '${createVerifier(password, { iterations: 4096 })}'`);
    assert.equal(await whoami(tcp({ user: role, password })), role);
    await assert.rejects(connectUpstream(tcp({ user: role, password: 'other' })), failsWith('auth-failed', '28P01'));
  });

  test('SASLprep agrees with PostgreSQL for a password it changes (non-ASCII space, compatibility character)', async () => {
    const role = 'parapet_unicode';
    await cluster.psql(`create role ${role} login password 'pa\u00a0ss \u2168'`);
    assert.equal(await whoami(tcp({ user: role, password: 'pa\u00a0ss \u2168' })), role);
    assert.equal(await whoami(tcp({ user: role, password: 'pa ss IX' })), role, 'the prepared form is the same password');
  });

  test('unix socket via a URL with a socket directory (local trust)', async () => {
    const options = parseUpstreamUrl(`postgres://postgres@/postgres?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}&application_name=sock`);
    assert.equal(await whoami(options), 'postgres');
    const conn = await connectUpstream(options);
    try {
      assert.equal(conn.parameters.get('application_name'), 'sock');
      await conn.cancel(); // nothing runs; the server takes the request over the socket and closes
    } finally {
      conn.close();
    }
  });
});
