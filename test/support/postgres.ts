/**
 * Access to the machine's PostgreSQL for tests (127.0.0.1:5432, trust auth). Each test makes its
 * own uniquely named database and drops it afterwards. When the server is unreachable the test is
 * skipped — unless PARAPET_REQUIRE_POSTGRES is set (CI), where that is a failure.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';

export const PG_HOST = process.env.PGHOST_TEST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.PGPORT_TEST ?? 5432);
export const PG_ADMIN_USER = process.env.PGUSER_TEST ?? 'postgres';

export function adminUrl(database = 'postgres'): string {
  return `postgres://${PG_ADMIN_USER}@${PG_HOST}:${PG_PORT}/${database}`;
}

let reachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** Skips (or, in CI, fails) the test when PostgreSQL is not reachable. Returns true when usable. */
export async function needPostgres(t: TestContext): Promise<boolean> {
  if (await postgresReachable()) return true;
  if (process.env.PARAPET_REQUIRE_POSTGRES) {
    throw new Error(`PostgreSQL is required (PARAPET_REQUIRE_POSTGRES) but ${PG_HOST}:${PG_PORT} is unreachable`);
  }
  t.skip(`PostgreSQL at ${PG_HOST}:${PG_PORT} is unreachable`);
  return false;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs SQL as the admin user on a database and returns the rows. */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
  database = 'postgres',
): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl(database) });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A throwaway database on the shared server, dropped (with its connections) on dispose. */
export async function createTestDatabase(prefix = 'parapet_test'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  await adminQuery(`create database "${name}"`);
  return {
    name,
    url: adminUrl(name),
    async drop() {
      await adminQuery(`drop database if exists "${name}" with (force)`);
    },
  };
}
