import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, kindWords, origin, uniqueMatches } from './support.js';

export type NoDropParams = { kinds: string[] };

const HINT = 'dropping objects is destructive: run it as a reviewed migration, or ask for approval';

export const noDrop = defineRule({
  id: 'no-drop',
  summary: 'Blocks DROP of tables, schemas, databases, columns, indexes, functions, views, roles and other objects',
  rationale:
    'A drop destroys data or the code that serves it, and cannot be undone without a restore. ' +
    'An agent that "cleans up" or a migration run against the wrong database loses data for good; CASCADE silently widens the damage to every dependent object.',
  solution:
    'Drop objects through a reviewed migration run by a pipeline actor, or ask for approval. ' +
    'To allow some kinds (say indexes) while still blocking the rest, list the kinds to block in `kinds`.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      kinds: {
        type: 'array',
        items: { type: 'string' },
        description: 'Object kinds to block (`table`, `schema`, `database`, `column`, `index`, `function`, `view`, `role`, …); empty blocks every kind',
      },
    },
  },
  defaults: { kinds: [] } as NoDropParams,
  examples: {
    match: [
      { sql: 'DROP TABLE public.users' },
      { sql: 'DROP SCHEMA billing CASCADE' },
      { sql: 'ALTER TABLE users DROP COLUMN email' },
      { sql: 'DROP INDEX CONCURRENTLY users_email_idx', params: { kinds: ['index'] } },
      { sql: 'DROP FUNCTION f(integer)' },
      { sql: 'DROP VIEW IF EXISTS v' },
      { sql: 'DROP DATABASE analytics' },
      { sql: 'DROP OWNED BY app_user' },
      { sql: 'DROP ROLE intern' },
      { sql: "DO $$ BEGIN DROP TABLE t; END $$", note: 'inside a DO block' },
    ],
    noMatch: [
      { sql: "SELECT 'DROP TABLE users'", note: 'a string is not a drop' },
      { sql: 'SELECT * FROM drop_log' },
      { sql: 'CREATE TABLE t (id int)' },
      { sql: 'DROP INDEX users_email_idx', params: { kinds: ['table', 'schema'] }, note: 'only tables and schemas are blocked' },
    ],
  },
  check({ request, params }: RuleContext<NoDropParams>): RuleMatch[] {
    const blocked = (kind: string) => params.kinds.length === 0 || params.kinds.includes(kind);
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'ddl')) {
      if (effect.operation === 'alter-drop-column') {
        if (!blocked('column')) continue;
        const table = effect.names[0] ?? effect.relation?.name ?? 'a table';
        matches.push({ message: `the statement drops column ${code(effect.column ?? '?')} of ${code(table)}${origin(effect)}`, hint: HINT });
      } else if (effect.operation === 'drop' && blocked(effect.objectKind)) {
        const cascade = effect.cascade ? ' with CASCADE, which also drops every object that depends on it' : '';
        const names = effect.names.map(code).join(', ');
        const what = effect.objectKind === 'owned' ? `every object owned by ${names}` : `${kindWords(effect.objectKind)} ${names}`;
        matches.push({ message: `the statement drops ${what}${cascade}${origin(effect)}`, hint: HINT });
      }
    }
    for (const effect of effectsOf(request.statement, 'privilege')) {
      const kind = effect.operation === 'drop-role' ? 'role' : effect.operation === 'drop-policy' ? 'policy' : undefined;
      if (kind === undefined || !blocked(kind)) continue;
      matches.push({ message: `the statement drops ${kind} ${effect.targets.map(code).join(', ')}${origin(effect)}`, hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
