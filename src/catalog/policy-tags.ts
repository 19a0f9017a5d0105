/**
 * The policy's view of an object: tags and protection from `resources`, looked up by real
 * `schema.table[.column]` names. Delegates to the guard's static catalog, so both catalogs read the
 * policy the same way.
 */
import { staticCatalog } from '../guard/static-catalog.js';
import type { Policy } from '../policy/policy.js';
import type { RelationFacts } from '../policy/types.js';

export interface PolicyTags {
  /** Facts the policy alone gives for `schema.name` (tags of the schema and table, column tags, protection). */
  relation(schema: string, name: string): RelationFacts;
  /** Every tag on a column: its own, its table's and its schema's. */
  column(schema: string, table: string, column: string): string[];
  /** `schema.table` names the policy mentions for a relation name, in any schema. */
  namesFor(name: string): string[];
}

export function policyTags(policy: Policy): PolicyTags {
  const port = staticCatalog(policy);
  const cache = new Map<string, RelationFacts>();
  const relation = (schema: string, name: string): RelationFacts => {
    const key = `${schema}.${name}`;
    let facts = cache.get(key);
    if (!facts) {
      const resolved = port.resolve([{ schema, name, qualified: true }], {}) as Record<string, RelationFacts>;
      facts = resolved[key] ?? { schema, name, tags: [], columnTags: {} };
      cache.set(key, facts);
    }
    return facts;
  };
  const mentioned = new Map<string, string[]>();
  for (const key of [...policy.resources.tags.keys(), ...policy.resources.protected]) {
    const [schema, table] = key.split('.');
    if (schema === undefined || table === undefined) continue;
    const list = mentioned.get(table) ?? [];
    if (!list.includes(`${schema}.${table}`)) list.push(`${schema}.${table}`);
    mentioned.set(table, list);
  }
  return {
    relation,
    column(schema, table, column) {
      const facts = relation(schema, table);
      return [...new Set([...facts.tags, ...(facts.columnTags[column] ?? [])])];
    },
    namesFor: (name) => mentioned.get(name) ?? [],
  };
}
