/**
 * Decision-time checks for actors whose results are masked: the ways around wire masking that can
 * only be closed before the statement runs. The door calls `maskingSideDoor` for every statement the
 * guard allows (with the body of an EXECUTE when it knows it) and refuses the statement when it
 * returns a reason (an SQL-level EXECUTE is checked through its prepared body, which the door decides too):
 *   - statistics views and catalogs (`pg_stats`, `pg_statistic`, extended statistics) hold sample
 *     values of every column, masked ones included;
 *   - a result computed from masked columns in a field without column origin (`lower(email)`, a
 *     UNION, `row_to_json(c)`, a scalar subquery, a user function) when the policy says `deny` for
 *     such fields (the default) — with `mask`, the wire masks those fields instead;
 *   - copying masked data into rows of a table that does not carry the same tags (INSERT … SELECT,
 *     UPDATE … SET, MERGE, CREATE TABLE AS, SELECT INTO, temporary tables), which reading back
 *     would return unmasked — a materialized view or view is allowed: the catalog carries the tags
 *     of the columns it shows;
 *   - COPY of masked columns in a format whose rows cannot be masked (binary, another encoding).
 */
import { relationsOf } from '../guard/relations.js';
import type { ResolutionContext } from '../catalog/live-catalog.js';
import type { ResultCatalog } from './row-plan.js';
import type { RelationFacts } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import { copyShape } from './copy-rows.js';
import { copiesMasked, feedsOriginless } from './origin-feed.js';
import { maskedTags, type MaskingPolicy } from './masking-policy.js';
import { callsUnknownFunctions, maskMatcher, watchedColumns } from './statement-facts.js';

/** Rule id the refusals are reported under: the rule that imposes masking. */
export const MASKING_RULE = 'mask-columns';

export interface SideDoor {
  rule: typeof MASKING_RULE;
  message: string;
  hint: string;
}

export interface SideDoorContext {
  catalog: ResultCatalog;
  resolution: ResolutionContext;
  masking: MaskingPolicy;
}

const STATISTICS = new Set(['pg_stats', 'pg_stats_ext', 'pg_stats_ext_exprs', 'pg_statistic', 'pg_statistic_ext', 'pg_statistic_ext_data']);

export async function maskingSideDoor(statement: StatementAnalysis, context: SideDoorContext, sql = statement.sql): Promise<SideDoor | undefined> {
  // `EXECUTE name(…)`: the door decides the prepared body itself (and calls this with it).
  if (statement.kind === 'execute' && sql === statement.sql) return undefined;
  const refuse = (message: string, hint: string): SideDoor => ({ rule: MASKING_RULE, message, hint });
  for (const effect of statement.effects) {
    if (effect.type !== 'read' || !STATISTICS.has(effect.relation.name)) continue;
    if (effect.relation.schema === undefined || effect.relation.schema === 'pg_catalog') {
      return refuse(`\`${effect.relation.name}\` shows sample values of masked columns`, 'statistics views are not available to actors whose results are masked');
    }
  }

  const facts = await context.catalog.resolve(relationsOf(statement), context.resolution);
  const watched = await watchedColumns(context.catalog, facts, maskMatcher(context.masking.masks));
  const question = { maskedColumns: watched.columns, maskedRelations: watched.relations, unknownFunctions: callsUnknownFunctions(statement) };

  if (context.masking.noOrigin === 'deny' && feedsOriginless(sql, question)) {
    return refuse(
      'the statement computes a result from masked columns in a form that cannot be masked (an expression, aggregate, UNION, whole row or function result)',
      'select the masked column itself (it comes back masked), or leave it out of the result',
    );
  }

  if (copiesMasked(sql, question)) {
    const target = untaggedTarget(statement, facts, maskedTags(context.masking));
    if (target !== undefined) {
      return refuse(`the statement copies masked data into \`${target}\`, which does not carry the same tags`, 'leave the masked columns out, or write into a table the policy tags the same way');
    }
  }

  const copy = statement.kind === 'copy' ? copyShape(sql) : undefined;
  if (copy && (copy.format === 'binary' || copy.foreignEncoding) && watched.columns.size > 0 && readsWatched(statement, watched.columns)) {
    return refuse('this COPY would send masked columns in a format parapet cannot mask', 'use COPY in text or CSV format (UTF8), or leave the masked columns out');
  }
  return undefined;
}

/** The first write target that lacks a masked tag (or any written table, for masks by column name); undefined when all carry them. */
function untaggedTarget(statement: StatementAnalysis, facts: Record<string, RelationFacts>, tags: Set<string>): string | undefined {
  const materialized = statement.effects.some((e) => e.type === 'ddl' && e.operation === 'create' && (e.objectKind === 'materialized-view' || e.objectKind === 'view'));
  for (const effect of statement.effects) {
    if (effect.type !== 'write' || effect.deferred !== undefined || effect.operation === 'delete' || effect.operation === 'copy-from') continue;
    if (materialized && effect.operation === 'create-table-as') continue;
    const name = effect.relation.name;
    const candidates = Object.values(facts).filter((f) => f.name === name && (effect.relation.schema === undefined || f.schema === effect.relation.schema));
    const carries = candidates.length > 0 && candidates.every((f) => {
      const present = new Set([...f.tags, ...Object.values(f.columnTags).flat()]);
      return tags.size > 0 && [...tags].every((t) => present.has(t));
    });
    if (!carries) return [effect.relation.schema, name].filter(Boolean).join('.');
  }
  return undefined;
}

function readsWatched(statement: StatementAnalysis, columns: Set<string>): boolean {
  return statement.effects.some((e) => e.type === 'read' && (e.columns === undefined || e.columns.some((c) => c === '*' || columns.has(c))));
}
