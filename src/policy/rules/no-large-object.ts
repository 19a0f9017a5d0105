import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoLargeObjectParams = Record<string, never>;

const HINT = 'store data in ordinary tables (`bytea` columns) instead of large objects';

export const noLargeObject = defineRule({
  id: 'no-large-object',
  summary: 'Blocks the large-object interface: lo_create, lo_open, loread, lowrite, lo_unlink, lo_import, lo_export …',
  rationale:
    'Large objects live outside tables, in one store shared by the whole database, with their own privileges. ' +
    'They are a side channel: data can be staged there and read back past table-level masking and lineage, and `lo_import` / `lo_export` move it to and from server files.',
  solution: 'Keep binary data in `bytea` columns of ordinary tables, where table rules, masking and lineage see it.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoLargeObjectParams,
  examples: {
    match: [
      { sql: 'SELECT lo_create(0)' },
      { sql: 'SELECT loread(lo_open(16409, 262144), 1000000)' },
      { sql: "SELECT lo_from_bytea(0, convert_to('secret', 'UTF8'))" },
      { sql: 'SELECT lo_unlink(16409)' },
    ],
    noMatch: [
      { sql: 'SELECT data FROM files WHERE id = 1' },
      { sql: "SELECT 'lo_create'" },
    ],
  },
  check({ request }: RuleContext<NoLargeObjectParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'function')) {
      if (effect.class === 'large-object') matches.push({ message: `the statement calls ${code(`${effect.name}()`)}, which uses large objects${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'external')) {
      if (effect.channel !== 'large-object') continue;
      const via = effect.function === undefined ? 'uses large objects' : `calls ${code(`${effect.function}()`)}, which uses large objects`;
      matches.push({ message: `the statement ${via}${origin(effect)}`, hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
