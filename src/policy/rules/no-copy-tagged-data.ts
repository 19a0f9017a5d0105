import type { DecisionRequest } from '../types.js';
import type { RelationName } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, factsFor, factsKey, nameSet, origin, relationText, uniqueMatches } from './support.js';

export type NoCopyTaggedDataParams = { tags: string[] };

/** Every tag a relation carries, on the table or on any of its columns. */
function tagsOf(request: DecisionRequest, relation: RelationName): Set<string> {
  return new Set(factsFor(request, relation).flatMap((f) => [...f.tags, ...Object.values(f.columnTags).flat()]));
}

export const noCopyTaggedData = defineRule({
  id: 'no-copy-tagged-data',
  summary: 'Blocks copying tagged columns (pii, secret, …) into tables that do not carry the same tags',
  rationale:
    'Masking works by the tags of the column a value comes from. `CREATE TABLE t AS SELECT email FROM users`, `INSERT … SELECT` or `SELECT … INTO` ' +
    'launder the value into an untagged table, and reading that table back returns it unmasked. Give this rule to actors whose reads are masked.',
  solution: 'Leave the tagged columns out of the copy, or copy into a table that is tagged the same way in the policy.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { tags: { type: 'array', items: { type: 'string' }, description: 'Tags whose data must not move into a table without them' } },
  },
  defaults: { tags: ['pii', 'secret'] } as NoCopyTaggedDataParams,
  examples: {
    match: [
      { sql: 'CREATE TABLE emails AS SELECT email FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      { sql: 'INSERT INTO export (a) SELECT ssn FROM people', relations: { 'public.people': { columnTags: { ssn: ['secret'] } }, 'public.export': {} } },
      { sql: 'SELECT * INTO scratch FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
    ],
    noMatch: [
      { sql: 'CREATE TABLE names AS SELECT id, name FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      {
        sql: 'INSERT INTO users_archive SELECT * FROM users',
        relations: { 'public.users': { columnTags: { email: ['pii'] } }, 'public.users_archive': { columnTags: { email: ['pii'] } } },
      },
      { sql: 'SELECT email FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
    ],
  },
  check({ request, params }: RuleContext<NoCopyTaggedDataParams>): RuleMatch[] {
    const watched = nameSet(params.tags);
    const writes = effectsOf(request.statement, 'write').filter((w) => w.operation !== 'delete' && w.operation !== 'copy-from');
    if (writes.length === 0) return [];
    // Tagged sources the statement reads: `schema.table.column` → its watched tags.
    const sources = new Map<string, string[]>();
    for (const read of effectsOf(request.statement, 'read')) {
      for (const facts of factsFor(request, read.relation)) {
        for (const [column, tags] of Object.entries({ '*': facts.tags, ...facts.columnTags })) {
          const hits = tags.filter((t) => watched.has(t.toLowerCase()));
          const readsIt = column === '*' || read.columns === undefined || read.columns.includes('*') || read.columns.includes(column);
          if (hits.length > 0 && readsIt) sources.set(`${factsKey(facts)}.${column}`, hits);
        }
      }
    }
    const matches: RuleMatch[] = [];
    for (const write of writes) {
      const targetTags = tagsOf(request, write.relation);
      for (const [source, tags] of sources) {
        const missing = tags.filter((t) => !targetTags.has(t));
        if (missing.length === 0) continue;
        matches.push({
          message: `the statement copies ${code(source)} (${missing.join(', ')}) into ${code(relationText(write.relation))}, which is not tagged ${missing.join(', ')}${origin(write)}`,
          hint: 'leave the tagged columns out, or copy into a table tagged the same way',
        });
      }
    }
    return uniqueMatches(matches);
  },
});
