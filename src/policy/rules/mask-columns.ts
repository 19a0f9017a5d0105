import type { RelationName } from '../../sql/types.js';
import type { DecisionRequest, MaskStyle } from '../types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, factsFor, factsKey, nameSet } from './support.js';

export type MaskColumnsParams = { tags: string[]; columns: string[]; style: MaskStyle; keep?: number };

/** Whether a read of `columns` (undefined: not known, `*`: all) includes `column`. */
function reads(columns: string[] | undefined, column: string): boolean {
  return columns === undefined || columns.includes('*') || columns.includes(column);
}

/** `SELECT users FROM users` names the whole row by the table's name: that reads every column. */
function readColumns(relation: RelationName, columns: string[] | undefined): string[] | undefined {
  return columns?.includes(relation.name) ? [...columns, '*'] : columns;
}

/** Relations whose columns come from elsewhere: a view can expose a tagged column under its own name. */
const DERIVED_KINDS = new Set(['view', 'materialized-view']);

/** `schema.table.column` names of the masked columns a statement reads from one relation. */
function maskedColumns(request: DecisionRequest, relation: RelationName, columns: string[] | undefined, params: MaskColumnsParams): string[] {
  const tags = nameSet(params.tags);
  const found: string[] = [];
  const facts = factsFor(request, relation);
  for (const f of facts) {
    if (f.tags.some((t) => tags.has(t.toLowerCase()))) found.push(`${factsKey(f)}.*`);
    for (const [column, columnTags] of Object.entries(f.columnTags)) {
      if (columnTags.some((t) => tags.has(t.toLowerCase())) && reads(columns, column)) found.push(`${factsKey(f)}.${column}`);
    }
  }
  // Listed columns: through the facts where the catalog resolved the name, else by the name as written.
  const keys = facts.map(factsKey);
  const sameTable = (table: string) =>
    keys.length > 0 ? keys.includes(table) : relation.schema !== undefined ? table === `${relation.schema}.${relation.name}` : table.endsWith(`.${relation.name}`);
  for (const listed of params.columns) {
    const cut = listed.lastIndexOf('.');
    if (cut > 0 && sameTable(listed.slice(0, cut)) && reads(columns, listed.slice(cut + 1))) found.push(listed);
  }
  return found;
}

export const maskColumns = defineRule({
  id: 'mask-columns',
  summary: 'Masks tagged or listed columns in results (an obligation on allow): redact, partial, hash or null',
  rationale:
    'Many actors need the shape of the data but not its sensitive values: an agent debugging an order needs the order, not the customer\'s e-mail or card number. ' +
    'Columns tagged in the policy (`pii`, `secret`, …) or listed by name are masked in the result stream by each column\'s real origin, so aliases do not unmask them. ' +
    'Views and functions in FROM can return tagged data under names of their own, so reading one attaches the mask obligation as well; ' +
    'a door that cannot trace such a result to its origin must refuse the statement rather than return it unmasked.',
  solution: 'Leave the masked columns out of the query if you do not need them; an actor that needs the real values is given a policy without this rule.',
  defaultAction: 'allow',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tags: { type: 'array', items: { type: 'string' }, description: 'Column (or table) tags to mask' },
      columns: { type: 'array', items: { type: 'string' }, description: 'Columns to mask, as `schema.table.column`' },
      style: { enum: ['redact', 'partial', 'hash', 'null'], description: 'How to mask: a fixed placeholder, keep the last `keep` characters, a stable hash, or NULL' },
      keep: { type: 'integer', minimum: 0, description: 'Characters kept visible by the `partial` style' },
    },
  },
  defaults: { tags: ['pii'], columns: [], style: 'redact' } as MaskColumnsParams,
  examples: {
    match: [
      { sql: 'SELECT id, email FROM public.users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      { sql: 'SELECT * FROM users', relations: { 'public.users': { columnTags: { ssn: ['pii', 'secret'] } } } },
      { sql: 'SELECT u.email AS contact FROM users u JOIN orders o ON o.user_id = u.id', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      { sql: 'SELECT card_number FROM billing.cards', params: { tags: [], columns: ['billing.cards.card_number'], style: 'partial', keep: 4 } },
      { sql: 'SELECT * FROM hr.salaries', relations: { 'hr.salaries': { tags: ['pii'] } }, note: 'a tagged table masks every column' },
      { sql: 'SELECT users FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } }, note: 'the whole row' },
      { sql: 'SELECT * FROM app.customers()', note: 'a function in FROM can return tagged data' },
      { sql: 'SELECT * FROM customer_overview', relations: { 'public.customer_overview': { kind: 'view' } }, note: 'a view can expose tagged columns' },
    ],
    noMatch: [
      { sql: 'SELECT id, name FROM users', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      { sql: 'SELECT * FROM orders', relations: { 'public.users': { columnTags: { email: ['pii'] } } } },
      { sql: 'SELECT email FROM users', relations: { 'public.users': { columnTags: { email: ['contact'] } } } },
    ],
  },
  check({ request, params }: RuleContext<MaskColumnsParams>): RuleMatch[] {
    const found = new Set<string>();
    // Views and functions in FROM whose results can carry tagged data under names of their own.
    const opaque = new Set<string>();
    for (const effect of effectsOf(request.statement, 'read')) {
      if (effect.viaFunction !== undefined) opaque.add(`${effect.viaFunction}()`);
      for (const facts of factsFor(request, effect.relation)) if (facts.kind !== undefined && DERIVED_KINDS.has(facts.kind)) opaque.add(factsKey(facts));
      for (const column of maskedColumns(request, effect.relation, readColumns(effect.relation, effect.columns), params)) found.add(column);
    }
    for (const effect of effectsOf(request.statement, 'write')) {
      if (effect.returning !== true) continue;
      for (const column of maskedColumns(request, effect.relation, undefined, params)) found.add(column);
    }
    if (found.size === 0 && (opaque.size === 0 || params.tags.length === 0)) return [];
    const columns = [...found];
    const mask = { tags: params.tags, columns: [...new Set([...params.columns, ...columns])], style: params.style, ...(params.keep === undefined ? {} : { keep: params.keep }) };
    const parts = [
      ...(columns.length > 0 ? [`masks ${columns.map(code).join(', ')}`] : []),
      ...(opaque.size > 0 ? [`masks by tag what ${[...opaque].map(code).join(', ')} return${opaque.size === 1 ? 's' : ''}`] : []),
    ];
    return [
      {
        message: `the result ${parts.join(' and ')} (${params.style})`,
        hint: 'masked columns come back masked: leave them out of the query if you do not need them',
        obligations: { mask: [mask] },
      },
    ];
  },
});
