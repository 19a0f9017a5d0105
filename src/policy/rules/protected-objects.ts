import type { RelationName } from '../../sql/types.js';
import type { DecisionRequest } from '../types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, ddlVerb, effectsOf, factsFor, kindWords, origin, relationText, uniqueMatches, writeVerb } from './support.js';

export type ProtectedObjectsParams = { objects: string[] };

/** Whether `schema.name` fits a pattern: `schema.table`, `schema.*`, or a bare `table` in any schema. */
function fits(pattern: string, schema: string | undefined, name: string): boolean {
  const cut = pattern.lastIndexOf('.');
  if (cut < 0) return pattern === name;
  const [ps, pn] = [pattern.slice(0, cut), pattern.slice(cut + 1)];
  // An unqualified name the catalog did not resolve may be in any schema: match on the table name.
  return (schema === undefined || ps === schema) && (pn === '*' || pn === name);
}

function isProtected(request: DecisionRequest, relation: RelationName, patterns: string[]): boolean {
  const facts = factsFor(request, relation);
  if (facts.some((f) => f.protected === true || patterns.some((p) => fits(p, f.schema, f.name)))) return true;
  return facts.length === 0 && patterns.some((p) => fits(p, relation.schema, relation.name));
}

/** A name as DDL reports it (`schema.table` or `table`) as a relation name. */
function parseName(text: string): RelationName {
  const parts = text.split('.');
  const name = parts.pop() ?? text;
  const schema = parts.pop();
  return schema === undefined ? { name, qualified: false } : { schema, name, qualified: true };
}

function schemaProtected(request: DecisionRequest, schema: string, patterns: string[]): boolean {
  return (
    patterns.some((p) => p.startsWith(`${schema}.`)) ||
    Object.values(request.relations).some((f) => f.schema === schema && (f.protected === true || patterns.some((p) => fits(p, f.schema, f.name))))
  );
}

const HINT = 'this object is protected: changes to it go through its owners, by approval';

export const protectedObjects = defineRule({
  id: 'protected-objects',
  summary: 'Blocks writes and schema changes on protected tables and schemas (marked in the catalog facts or listed)',
  rationale:
    'Some objects must not change outside a controlled process whatever else an actor may do: the ledger, the audit log, the migrations table, the billing schema. ' +
    'Marking them protected puts a wall around them that broad grants and forgotten WHERE clauses do not get through.',
  solution: 'Ask the owners of the object to make the change, or ask for approval.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      objects: { type: 'array', items: { type: 'string' }, description: 'Protected objects besides those marked in the catalog: `schema.table`, `schema.*`, or `table` in any schema' },
    },
  },
  defaults: { objects: [] } as ProtectedObjectsParams,
  examples: {
    match: [
      { sql: 'UPDATE ledger SET amount = 0 WHERE id = 1', relations: { 'public.ledger': { protected: true } } },
      { sql: 'DELETE FROM audit.events WHERE id = 1', params: { objects: ['audit.*'] } },
      { sql: 'ALTER TABLE schema_migrations ADD COLUMN x int', params: { objects: ['schema_migrations'] } },
      { sql: 'DROP SCHEMA audit CASCADE', params: { objects: ['audit.*'] } },
      { sql: 'TRUNCATE public.ledger', relations: { 'public.ledger': { protected: true } } },
      { sql: 'CREATE INDEX ledger_at ON ledger (at)', relations: { 'public.ledger': { protected: true } } },
    ],
    noMatch: [
      { sql: 'SELECT * FROM ledger', relations: { 'public.ledger': { protected: true } } },
      { sql: 'UPDATE orders SET state = 1 WHERE id = 1', relations: { 'public.ledger': { protected: true } } },
      { sql: 'DELETE FROM public.events WHERE id = 1', params: { objects: ['audit.*'] } },
    ],
  },
  check({ request, params }: RuleContext<ProtectedObjectsParams>): RuleMatch[] {
    const patterns = params.objects;
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'write')) {
      if (isProtected(request, effect.relation, patterns)) {
        matches.push({ message: `the statement ${writeVerb(effect.operation)} protected table ${code(relationText(effect.relation))}${origin(effect)}`, hint: HINT });
      }
    }
    for (const effect of effectsOf(request.statement, 'ddl')) {
      if (effect.objectKind === 'schema') {
        for (const schema of effect.names.filter((n) => schemaProtected(request, n, patterns))) {
          matches.push({ message: `the statement ${ddlVerb(effect.operation)} schema ${code(schema)}, which holds protected objects${origin(effect)}`, hint: HINT });
        }
        continue;
      }
      const relations = effect.relation !== undefined ? [effect.relation] : effect.names.map(parseName);
      for (const relation of relations.filter((r) => isProtected(request, r, patterns))) {
        // An index, trigger or policy names its own object but changes the table it is on.
        const own = effect.relation === undefined || effect.names.some((n) => n === relationText(relation));
        const what = own ? `${kindWords(effect.objectKind)} ${code(relationText(relation))}` : `${kindWords(effect.objectKind)} ${effect.names.map(code).join(', ')} on ${code(relationText(relation))}`;
        matches.push({ message: `the statement ${ddlVerb(effect.operation)} ${own ? 'protected ' : ''}${what}${own ? '' : ', a protected table'}${origin(effect)}`, hint: HINT });
      }
    }
    return uniqueMatches(matches);
  },
});
