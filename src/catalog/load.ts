/**
 * Reads the catalog snapshot from PostgreSQL: seven plain queries over pg_catalog, in one
 * REPEATABLE READ read-only transaction so that they agree with each other (on a lent session, the
 * one the loan opened).
 */
import type { CatalogQueries } from './connection.js';
import { buildSnapshot, type CatalogRows, type CatalogSnapshot } from './snapshot.js';

const QUERIES: Readonly<Record<keyof CatalogRows, string>> = {
  schemas: 'SELECT oid, nspname FROM pg_namespace',
  relations: `SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::float8, c.relispartition, c.relpersistence, c.relhassubclass
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S') AND n.nspname <> 'pg_toast'`,
  columns: `SELECT a.attrelid, a.attnum, a.attname, a.atttypid
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')`,
  functions: `SELECT p.oid, n.nspname, p.proname, p.pronargs, p.provolatile, l.lanname, pg_get_userbyid(p.proowner), p.prokind, p.provariadic <> 0, p.pronargdefaults
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang`,
  foreignKeys: `SELECT confrelid, conrelid, confdeltype, confupdtype, confkey::text FROM pg_constraint WHERE contype = 'f'`,
  triggers: 'SELECT tgrelid, tgname, tgtype, tgenabled FROM pg_trigger WHERE NOT tgisinternal',
  rules: `SELECT ev_class, rulename, ev_type FROM pg_rewrite WHERE ev_type <> '1'`,
};

export async function loadSnapshot(db: CatalogQueries, now: number): Promise<CatalogSnapshot> {
  const read = async (): Promise<CatalogSnapshot> => {
    const rows = {} as CatalogRows;
    for (const key of Object.keys(QUERIES) as (keyof CatalogRows)[]) rows[key] = await db.rows(QUERIES[key]);
    return buildSnapshot(rows, now);
  };
  // Reads on a lent client session run inside a transaction Parapet does not own: never end it.
  if (db.inTransaction) return read();
  await db.rows('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await read();
  } finally {
    await db.rows('COMMIT').catch(() => {});
  }
}
