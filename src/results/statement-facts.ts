/**
 * Per-statement facts the result guards need, worked out once when the statement is allowed: which
 * masked (and bulk-watched) columns it reads, and whether they can reach a field without origin.
 */
import { relationsOf } from '../guard/relations.js';
import type { ResolutionContext } from '../catalog/live-catalog.js';
import type { ResultCatalog } from './row-plan.js';
import type { RelationFacts } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import { feedsOriginless } from './origin-feed.js';
import type { Mask, MaskingPolicy } from './masking-policy.js';
import type { BulkReadLimit, StatementFeeds } from './row-plan.js';

export interface WatchedColumns {
  /** Column names. */
  columns: Set<string>;
  /** Relation names with watched columns (their whole rows carry them). */
  relations: Set<string>;
}

/** The columns of the statement's relations that the masks (or the bulk limit's tags) cover, by name. */
export async function watchedColumns(catalog: ResultCatalog, facts: Record<string, RelationFacts>, matches: (facts: RelationFacts, column: string, tags: readonly string[]) => boolean): Promise<WatchedColumns> {
  const snapshot = await catalog.snapshot();
  const out: WatchedColumns = { columns: new Set(), relations: new Set() };
  for (const relation of Object.values(facts)) {
    const oid = snapshot.relationByName.get(`${relation.schema}.${relation.name}`);
    const names = new Set([...(oid === undefined ? [] : snapshot.relations.get(oid)!.columns.values()), ...Object.keys(relation.columnTags)]);
    for (const column of names) {
      const tags = [...relation.tags, ...(relation.columnTags[column] ?? [])];
      if (!matches(relation, column, tags)) continue;
      out.columns.add(column);
      out.relations.add(relation.name);
    }
  }
  return out;
}

export function maskMatcher(masks: readonly Mask[]): (facts: RelationFacts, column: string, tags: readonly string[]) => boolean {
  return (facts, column, tags) => {
    const table = `${facts.schema}.${facts.name}`;
    return masks.some((m) => tags.some((t) => m.tags.includes(t)) || m.columns.includes(`${table}.${column}`) || m.columns.includes(`${table}.*`));
  };
}

export function tagMatcher(tags: readonly string[]): (facts: RelationFacts, column: string, columnTags: readonly string[]) => boolean {
  return (_facts, _column, columnTags) => columnTags.some((t) => tags.includes(t));
}

/** Whether the statement calls functions whose effects (and results) are unknown. */
export function callsUnknownFunctions(statement: StatementAnalysis): boolean {
  return statement.effects.some((e) => e.type === 'function' && e.class === 'unknown' && e.deferred === undefined);
}

export interface FeedsContext {
  catalog: ResultCatalog;
  resolution: ResolutionContext;
  masking?: MaskingPolicy;
  bulk?: BulkReadLimit;
}

/** What the statement may feed into origin-less fields, for masking and for the bulk-read guard. */
export async function statementFeeds(statement: StatementAnalysis, context: FeedsContext, sql = statement.sql): Promise<StatementFeeds> {
  if (!context.masking && !context.bulk) return { masked: false, bulk: false };
  const facts = await context.catalog.resolve(relationsOf(statement), context.resolution);
  const unknownFunctions = callsUnknownFunctions(statement);
  const feeds = async (matches: Parameters<typeof watchedColumns>[2]) => {
    const watched = await watchedColumns(context.catalog, facts, matches);
    return feedsOriginless(sql, { maskedColumns: watched.columns, maskedRelations: watched.relations, unknownFunctions });
  };
  return {
    masked: context.masking ? await feeds(maskMatcher(context.masking.masks)) : false,
    bulk: context.bulk ? await feeds(tagMatcher(context.bulk.tags)) : false,
  };
}
