/**
 * The rig for holding many client sessions open through one proxy, shared by the scale test and
 * `npm run bench -- connections`: a throwaway cluster with `max_connections` above the count (the
 * shared server allows 100), a child `parapet serve` with the shipped default policy plus two actors
 * to log in as, and logins in batches. The proxy is a child process so its RSS is its own.
 *
 *   const rig = await startHeldSessionsRig({ connections: 1000 });
 *   const sessions = await rig.open(1000);
 *   rig.proxy.memory().rss;
 *   await rig.stop();
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import { canStartCluster, startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';
import { waitFor } from '../support/wait.js';
import { repoRoot, spawnProxy, type ChildProxy } from '../faults/child-proxy.js';
import { login, MessageStream, type WireSession } from '../faults/wire-session.js';

export const SCALE_SECRETS = { alice: 'alice-scale-pw', bot: 'bot-scale-pw' } as const;
export const MiB = 1024 * 1024;

export { canStartCluster };

export interface HeldSessionsRig {
  cluster: ThrowawayCluster;
  proxy: ChildProxy;
  /** Opens `count` sessions, alternating a person and an agent, `batch` logins at a time (default 25). */
  open(count: number, batch?: number): Promise<WireSession[]>;
  /** Rows of a query on the cluster's `postgres` database, as its superuser. */
  clusterRows(sql: string): Promise<Record<string, unknown>[]>;
  /** Ends the sessions and waits until the upstream has none left for them. */
  close(sessions: WireSession[]): Promise<void>;
  /** Stops the proxy and the cluster. */
  stop(): Promise<void>;
}

export interface HeldSessionsOptions {
  /** Sessions the rig must be able to hold (sizes `max_connections` and the proxy's limit). */
  connections: number;
  /** Extra environment for the proxy (e.g. `NODE_OPTIONS`). */
  env?: Record<string, string>;
}

/** The shipped default policy with a person and an agent who may log in. */
function defaultPolicyWithActors(): string {
  const policy = readFileSync(join(repoRoot, 'policies', 'default.yaml'), 'utf8');
  return `${policy}\nactors:\n  alice: { kind: human }\n  bot: { kind: agent }\n`;
}

export async function startHeldSessionsRig(options: HeldSessionsOptions): Promise<HeldSessionsRig> {
  const cluster = await startThrowawayCluster({ settings: { max_connections: options.connections + 50, shared_buffers: '32MB' } });
  const clusterRows = async (sql: string): Promise<Record<string, unknown>[]> => {
    const client = new pg.Client({ connectionString: cluster.url('postgres') });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  let proxy: ChildProxy;
  try {
    await clusterRows("create role parapet_app login password 'app'");
    await clusterRows('create database app owner parapet_app');
    proxy = await spawnProxy({
      upstreamUrl: `postgres://parapet_app:app@127.0.0.1:${cluster.port}/app`,
      policyYaml: defaultPolicyWithActors(),
      secrets: SCALE_SECRETS,
      limits: `{ maxConnections: ${options.connections + 10} }`,
      metrics: true,
      ...(options.env ? { env: options.env } : {}),
    });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  let opened = 0;
  return {
    cluster,
    proxy,
    clusterRows,
    async open(count, batch = 25) {
      const sessions: WireSession[] = [];
      while (sessions.length < count) {
        const size = Math.min(batch, count - sessions.length);
        const logins = Array.from({ length: size }, (_, i) => {
          const n = opened + sessions.length + i;
          const user = n % 2 === 0 ? 'alice' : 'bot';
          return login({ port: proxy.port, user, password: SCALE_SECRETS[user], database: 'app', parameters: { application_name: `scale-${n}` } });
        });
        sessions.push(...(await Promise.all(logins)));
      }
      opened += count;
      return sessions;
    },
    async close(sessions) {
      for (const s of sessions) s.socket.end(fe.terminate());
      await waitFor(async () => (await clusterRows("select count(*)::int as n from pg_stat_activity where datname = 'app' and application_name like 'scale-%'"))[0]!.n === 0, 60_000);
    },
    async stop() {
      await proxy.stop();
      await cluster.stop();
    },
  };
}

/** Sends a simple query on a bare session and waits for its ReadyForQuery; returns the first value of the first row. */
export async function queryValue(session: WireSession, sql: string): Promise<string | null | undefined> {
  const stream = new MessageStream(session.socket);
  session.socket.resume();
  session.socket.write(fe.query(sql));
  let value: string | null | undefined;
  for (let m = await stream.next(); m; m = await stream.next()) {
    if (m.type === 'DataRow' && value === undefined) value = m.values[0] === null ? null : Buffer.from(m.values[0]!).toString();
    if (m.type === 'ErrorResponse') throw new Error(`${m.fields.code}: ${m.fields.message}`);
    if (m.type === 'ReadyForQuery') break;
  }
  stream.detach();
  return value;
}

/** Lets the login burst's garbage be collected before a measurement. */
export const settle = (ms = 2000): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
