import type { FunctionClass, FunctionEffect } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, hasEffect, nameSet, origin, uniqueMatches } from './support.js';

type Watched = Extract<FunctionClass, 'side-effect' | 'dangerous' | 'unknown'>;
export type NoSideEffectFunctionsParams = { allow: string[]; classes: Watched[] };

const WHY: Partial<Record<FunctionClass, string>> & Record<Watched, string> = {
  'side-effect': 'which changes database state',
  dangerous: 'which acts on the server or other sessions',
  unknown: 'a function whose effects are unknown',
};

function called(effect: FunctionEffect): string {
  return effect.operator !== undefined ? `operator ${code(effect.operator)}` : code(`${effect.schema === undefined ? '' : `${effect.schema}.`}${effect.name}()`);
}

export const noSideEffectFunctions = defineRule({
  id: 'no-side-effect-functions',
  summary: 'Blocks reads that call functions with side effects, server-level functions, or functions whose effects are unknown',
  rationale:
    'A SELECT is not harmless just because it is a SELECT: `SELECT nextval(…)` advances a sequence, `pg_advisory_lock` blocks other sessions, ' +
    '`pg_terminate_backend` kills them, and `SELECT my_func()` — or a user-defined operator — runs whatever the function body does, writes included. ' +
    'Server-level functions are matched in any statement; side-effecting and unknown ones in reads, where nobody expects them.',
  solution:
    'Call only built-in functions without side effects in reads. A user function known to be harmless can be added to `allow` (as `name` or `schema.name`).',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: { type: 'array', items: { type: 'string' }, description: 'Functions to let through, as `name` or `schema.name`' },
      classes: { type: 'array', items: { enum: ['side-effect', 'dangerous', 'unknown'] }, description: 'Function classes to block' },
    },
  },
  defaults: { allow: [], classes: ['side-effect', 'dangerous', 'unknown'] } as NoSideEffectFunctionsParams,
  examples: {
    match: [
      { sql: 'SELECT my_func()' },
      { sql: "SELECT nextval('orders_id_seq')" },
      { sql: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity' },
      { sql: 'SELECT * FROM users WHERE id = 1 AND app.audit_touch(id)' },
      { sql: 'SELECT * FROM app.items()', note: 'a user function in FROM' },
      { sql: 'SELECT pg_advisory_lock(42)' },
    ],
    noMatch: [
      { sql: 'SELECT lower(name), now(), random() FROM users' },
      { sql: 'SELECT app.items()', params: { allow: ['app.items'] } },
      { sql: "INSERT INTO orders (id) VALUES (nextval('orders_id_seq'))", note: 'a write may advance a sequence' },
      { sql: 'SELECT my_func()', params: { classes: ['dangerous'] } },
    ],
  },
  check({ request, params }: RuleContext<NoSideEffectFunctionsParams>): RuleMatch[] {
    const { statement } = request;
    const allowed = nameSet(params.allow);
    const watched: readonly FunctionClass[] = params.classes;
    const isRead = !hasEffect(statement, 'write', 'ddl');
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(statement, 'function')) {
      const why = WHY[effect.class];
      if (why === undefined || !watched.includes(effect.class) || (effect.class !== 'dangerous' && !isRead)) continue;
      if (allowed.has(effect.name) || (effect.schema !== undefined && allowed.has(`${effect.schema}.${effect.name}`))) continue;
      matches.push({
        message: `the statement calls ${called(effect)}, ${why}${origin(effect)}`,
        hint: effect.class === 'unknown' ? 'call only built-in functions without side effects, or ask for the function to be allowed' : 'leave this function out of the statement, or ask for approval',
      });
    }
    return uniqueMatches(matches);
  },
});
