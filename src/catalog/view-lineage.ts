/**
 * Where each column of a view (or materialized view) comes from, asked of PostgreSQL itself rather
 * than re-derived: the view's definition (`pg_get_viewdef`, printed with every user object
 * qualified) is parsed and described upstream — never run — and the RowDescription gives, for each
 * output column that is a plain column reference, the table and column it reads (PostgreSQL follows
 * subqueries and CTEs for that). A column that is an expression has no such origin: it is taken to be
 * fed by every column the view depends on (`pg_depend` of its rewrite rule), which over-approximates
 * but never misses a source.
 */
import type { CatalogQueries } from './connection.js';

/** A column of a relation; `column` 0 stands for the whole row (every column). */
export interface ColumnRef {
  relation: number;
  column: number;
}

export interface ViewColumnLineage {
  /** The column it is a plain reference to (which may itself be a view column). */
  origin?: ColumnRef;
  /** Every column that may feed it: `[origin]` for a plain reference. */
  feeders: ColumnRef[];
}

/** View column lineage by the view's attribute number. */
export type ViewLineage = ReadonlyMap<number, ViewColumnLineage>;

export async function loadViewLineage(db: CatalogQueries, viewOid: number, columns: Iterable<number>): Promise<ViewLineage> {
  const dependencies = (
    await db.rows(`SELECT DISTINCT d.refobjid, d.refobjsubid
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = ${viewOid}
        AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> ${viewOid}`)
  ).map(([relation, column]) => ({ relation: Number(relation), column: Number(column) }));

  const definition = (await db.rows(`SELECT pg_get_viewdef(${viewOid})`))[0]?.[0];
  let origins: (ColumnRef | undefined)[] = [];
  if (definition) {
    try {
      const fields = await db.describe(definition.trim().replace(/;$/, ''));
      origins = fields.map((f) => (f.tableOid !== 0 && f.columnNumber > 0 ? { relation: f.tableOid, column: f.columnNumber } : undefined));
    } catch {
      // Cannot be described (e.g. no USAGE on a schema it reads): every column counts as derived.
      origins = [];
    }
  }

  const lineage = new Map<number, ViewColumnLineage>();
  for (const attnum of columns) {
    const origin = origins[attnum - 1];
    lineage.set(attnum, origin ? { origin, feeders: [origin] } : { feeders: dependencies });
  }
  return lineage;
}
