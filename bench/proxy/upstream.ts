/**
 * The database the benchmark runs against: a throwaway role owning a throwaway database on the
 * server at PGHOST:PGPORT (or on a throwaway cluster), initialised with `pgbench -i`. Every target
 * reaches it as that role, a plain login role like an application's.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startThrowawayCluster, type ThrowawayCluster } from '../../test/support/throwaway-cluster.js';
import { mustRun } from './processes.js';

export interface BenchDatabase {
  host: string;
  port: number;
  database: string;
  /** The login role that owns the database (no password: the server trusts local connections). */
  role: string;
  /** Server settings that shape the figures. */
  settings: Record<string, string>;
  drop(): Promise<void>;
}

export interface DatabaseOptions {
  cluster: boolean;
  host: string;
  port: number;
  adminUser: string;
  scale: number;
}

async function admin(url: string, sql: string[]): Promise<pg.QueryResult[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const results: pg.QueryResult[] = [];
    for (const statement of sql) results.push(await client.query(statement));
    return results;
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(options: DatabaseOptions, log: (line: string) => void): Promise<BenchDatabase> {
  let cluster: ThrowawayCluster | undefined;
  let host = options.host;
  let port = options.port;
  let adminUser = options.adminUser;
  if (options.cluster) {
    // Durable like a production server: the figures must include a real commit.
    cluster = await startThrowawayCluster({ settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_connections: 200, shared_buffers: '256MB' } });
    host = '127.0.0.1';
    port = cluster.port;
    adminUser = cluster.user;
    log(`throwaway cluster on 127.0.0.1:${port} (${cluster.dataDir})`);
  }
  const adminUrl = (db = 'postgres') => `postgres://${encodeURIComponent(adminUser)}@${host}:${port}/${db}`;
  const suffix = randomBytes(4).toString('hex');
  const role = `parapet_bench_${suffix}`;
  const database = `parapet_bench_${suffix}`;
  await admin(adminUrl(), [`create role "${role}" login`, `create database "${database}" owner "${role}"`]);
  const drop = async (): Promise<void> => {
    try {
      await admin(adminUrl(), [`drop database if exists "${database}" with (force)`, `drop role if exists "${role}"`]);
    } finally {
      await cluster?.stop();
    }
  };
  try {
    log(`pgbench -i -s ${options.scale} into ${database} on ${host}:${port}`);
    await mustRun('pgbench', ['-i', '-q', '-s', String(options.scale), '-h', host, '-p', String(port), '-U', role, database]);
    const [shown] = await admin(adminUrl(database), [
      "select name, setting from pg_settings where name in ('server_version', 'fsync', 'synchronous_commit', 'max_connections', 'shared_buffers') order by name",
    ]);
    const settings = Object.fromEntries(shown!.rows.map((r: { name: string; setting: string }) => [r.name, r.setting]));
    return { host, port, database, role, settings, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}
