/**
 * Column tags and masking, read from the policy (the only place tags live). Only available when this
 * process has the policy: the embedded default, or a remote proxy's policy given with `--policy`.
 */
import { staticCatalog } from '../guard/index.js';
import type { Policy } from '../policy/policy.js';
import type { Actor, SessionContext } from '../policy/types.js';
import type { PolicyRules } from './policy-source.js';

export interface RelationTags {
  /** Tags on the table and its schema. */
  tags: string[];
  /** Tags per column name. */
  columnTags: Record<string, string[]>;
}

export function relationTags(policy: Policy, schema: string, table: string): RelationTags {
  const resolved = staticCatalog(policy).resolve([{ schema, name: table, qualified: true }], {}) as Record<string, RelationTags>;
  const facts = resolved[`${schema}.${table}`];
  return { tags: facts?.tags ?? [], columnTags: facts?.columnTags ?? {} };
}

/**
 * The columns of `schema.table` that come back masked for the actor: the mask obligation of reading
 * every column (`SELECT *`), as the guard decides it. Undefined when the actor may not read the table.
 */
export async function maskedColumns({ guard, policy }: PolicyRules, actor: Actor, schema: string, table: string, columns: readonly string[], session: SessionContext): Promise<Set<string> | undefined> {
  const sql = `SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(table)}`;
  const { decision } = await guard.evaluate({ sql, actor, session });
  if (decision.action !== 'allow') return undefined;
  const { tags: tableTags, columnTags } = relationTags(policy, schema, table);
  const masked = new Set<string>();
  const prefix = `${schema}.${table}.`;
  for (const mask of decision.obligations.mask ?? []) {
    for (const name of mask.columns) if (name.startsWith(prefix)) masked.add(name.slice(prefix.length));
    for (const column of columns) {
      const tags = [...tableTags, ...(columnTags[column] ?? [])];
      if (tags.some((t) => mask.tags.includes(t))) masked.add(column);
    }
  }
  return masked;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
