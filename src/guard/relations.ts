/** The relations a statement names, for the catalog port to resolve. */
import type { RelationName, StatementAnalysis } from '../sql/types.js';

/** DDL object kinds that name a relation (and so can carry tags or protection). */
const RELATION_KINDS = new Set(['table', 'view', 'materialized-view', 'foreign-table', 'sequence', 'partitioned-table']);

export function relationsOf(statement: StatementAnalysis): RelationName[] {
  const found: RelationName[] = [];
  for (const effect of statement.effects) {
    switch (effect.type) {
      case 'read':
      case 'write':
        found.push(effect.relation);
        break;
      case 'lock':
        found.push(...effect.relations);
        break;
      case 'ddl':
        if (effect.relation) found.push(effect.relation);
        else if (RELATION_KINDS.has(effect.objectKind)) found.push(...effect.names.map(parseName));
        break;
    }
  }
  return found;
}

/** `db.schema.name`, `schema.name` or `name` as the analyser writes DDL object names. */
function parseName(written: string): RelationName {
  const parts = written.split('.');
  const name = parts.pop()!;
  const schema = parts.pop();
  const catalog = parts.pop();
  return { name, ...(schema !== undefined ? { schema } : {}), ...(catalog !== undefined ? { catalog } : {}), qualified: schema !== undefined };
}
