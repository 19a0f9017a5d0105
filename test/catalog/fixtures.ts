/**
 * A throwaway database owned by a non-superuser role, with connections as that role, for the live
 * catalog, impact and result tests.
 */
import { connectUpstream, type UpstreamConnection } from '../../src/upstream/connect.js';
import { simpleQuery } from '../../src/upstream/simple-query.js';
import { catalogConnection, type CatalogQueries } from '../../src/catalog/connection.js';
import { LiveCatalog, type LiveCatalogOptions } from '../../src/catalog/live-catalog.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { createUpstream, type TestUpstream } from '../support/proxy-harness.js';
import { PG_HOST, PG_PORT, adminQuery } from '../support/postgres.js';

export interface TestDatabase extends TestUpstream {
  /** A new session as the database's (non-superuser) owner role. */
  connect(): Promise<UpstreamConnection>;
  /** Runs SQL as the owner role on a fresh session. */
  run(sql: string): Promise<(string | null)[][]>;
  /** Runs SQL as the superuser on the database. */
  admin(sql: string): Promise<Record<string, unknown>[]>;
}

export async function createOwnedDatabase(prefix = 'parapet_h9', setup?: string): Promise<TestDatabase> {
  const upstream = await createUpstream(prefix);
  const connect = () =>
    connectUpstream({ host: PG_HOST, port: PG_PORT, user: upstream.role, password: upstream.password, database: upstream.database, applicationName: 'parapet test' });
  const db: TestDatabase = {
    ...upstream,
    connect,
    async run(sql) {
      const conn = await connect();
      try {
        return await simpleQuery(conn, sql);
      } finally {
        conn.close();
      }
    },
    admin: (sql) => adminQuery(sql, [], upstream.database),
  };
  if (setup) {
    try {
      await db.run(setup);
    } catch (error) {
      await upstream.drop();
      throw error;
    }
  }
  return db;
}

export function policyFrom(yaml: string): Policy {
  const loaded = loadPolicy(yaml);
  if (!loaded.ok) throw new Error(`test policy does not load: ${JSON.stringify(loaded.issues)}`);
  return loaded.policy;
}

export function openCatalog(db: TestDatabase, policy: Policy, options: Partial<LiveCatalogOptions> = {}): { catalog: LiveCatalog; queries: CatalogQueries } {
  const queries = catalogConnection({ open: db.connect });
  return { catalog: new LiveCatalog({ db: queries, policy, ...options }), queries };
}
