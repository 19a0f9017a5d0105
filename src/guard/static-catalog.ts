/**
 * A catalog port from the policy's `resources`: tags on schemas, tables and columns, and protected
 * objects. It knows no row counts or object kinds, and resolves unqualified names through the
 * search path `public` (a live catalog replaces it once connected to PostgreSQL).
 */
import type { RelationName } from '../sql/types.js';
import type { Policy } from '../policy/policy.js';
import type { RelationFacts } from '../policy/types.js';
import type { CatalogPort } from './types.js';

const DEFAULT_SCHEMA = 'public';

interface TableFacts {
  tags: string[];
  columnTags: Record<string, string[]>;
}

export function staticCatalog(policy: Policy): CatalogPort {
  const schemaTags = new Map<string, string[]>();
  const tables = new Map<string, TableFacts>();
  const table = (key: string) => {
    let facts = tables.get(key);
    if (!facts) tables.set(key, (facts = { tags: [], columnTags: {} }));
    return facts;
  };
  for (const [name, tags] of policy.resources.tags) {
    const [schema, relation, column] = name.split('.');
    if (relation === undefined) schemaTags.set(schema!, [...tags]);
    else if (column === undefined) table(`${schema}.${relation}`).tags.push(...tags);
    else table(`${schema}.${relation}`).columnTags[column] = [...tags];
  }
  const isProtected = (schema: string, name: string) => policy.resources.protected.has(schema) || policy.resources.protected.has(`${schema}.${name}`);

  return {
    resolve(relations: readonly RelationName[]) {
      const resolved: Record<string, RelationFacts> = {};
      for (const relation of relations) {
        const schema = relation.schema ?? DEFAULT_SCHEMA;
        const key = `${schema}.${relation.name}`;
        if (resolved[key]) continue;
        const facts = tables.get(key);
        resolved[key] = {
          schema,
          name: relation.name,
          tags: [...new Set([...(schemaTags.get(schema) ?? []), ...(facts?.tags ?? [])])],
          columnTags: facts?.columnTags ?? {},
          ...(isProtected(schema, relation.name) ? { protected: true } : {}),
        };
      }
      return resolved;
    },
  };
}
