import type { DynamicSqlEffect } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoDynamicSqlParams = { allowVisible: boolean };

function describe(effect: DynamicSqlEffect): string {
  const language = code(effect.language);
  switch (effect.source) {
    case 'do-block':
      return effect.opaque ? `runs a DO block in ${language} whose statements cannot be seen before it runs` : `runs a DO block in ${language}`;
    case 'function-body':
      return `creates a function in ${language} whose statements cannot be seen before it runs`;
    case 'execute-string':
      return 'runs SQL built from a string with `EXECUTE`';
    case 'sql-string-function':
      // `detail` names the function, or says why a call counts (set_config with a computed name).
      return effect.detail === undefined ? 'runs SQL given as a string' : effect.detail.includes(' ') ? `runs ${code(effect.detail)}` : `runs SQL given as a string through ${code(`${effect.detail}()`)}`;
    case 'rule':
      return 'creates a rewrite rule whose statements cannot be seen';
  }
}

export const noDynamicSql = defineRule({
  id: 'no-dynamic-sql',
  summary: 'Blocks code the analysis cannot see through: DO blocks, EXECUTE of built strings, SQL-from-string functions, opaque function bodies',
  rationale:
    'A guardrail can only judge SQL it can see. `DO` blocks, `EXECUTE format(…)`, functions such as `query_to_xml` that run a string, and function bodies ' +
    'in languages the analyser cannot read decide what to run only when they run — a `DROP TABLE` assembled from pieces looks like nothing at all beforehand.',
  solution:
    'Send the statements themselves instead of code that builds them. Functions belong in reviewed migrations. ' +
    'With `allowVisible: true`, DO blocks whose statements are all visible to the analysis pass (their statements are still judged by the other rules).',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allowVisible: { type: 'boolean', description: 'Let DO blocks through when every statement in them is visible to the analysis (no EXECUTE of a built string)' },
    },
  },
  defaults: { allowVisible: false } as NoDynamicSqlParams,
  examples: {
    match: [
      { sql: "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'users'; END $$" },
      { sql: 'DO $$ BEGIN DELETE FROM users WHERE id = 1; END $$' },
      { sql: "SELECT query_to_xml('SELECT * FROM users', true, true, '')" },
      { sql: "CREATE FUNCTION run(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$" },
      { sql: "DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'users'); END $$", params: { allowVisible: true } },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users' },
      { sql: 'DO $$ BEGIN UPDATE counters SET n = n + 1 WHERE id = 1; END $$', params: { allowVisible: true } },
      { sql: 'CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$', note: 'a visible SQL body' },
      { sql: "SELECT 'EXECUTE x'" },
    ],
  },
  check({ request, params }: RuleContext<NoDynamicSqlParams>): RuleMatch[] {
    const hint = 'send the statements themselves rather than code that builds them, or ask for approval';
    const matches: RuleMatch[] = [];
    const stringFunctions = new Set<string>();
    for (const effect of effectsOf(request.statement, 'dynamic-sql')) {
      if (effect.source === 'sql-string-function' && effect.detail !== undefined) stringFunctions.add(effect.detail);
      const visibleBody = (effect.source === 'function-body' || effect.source === 'rule') && !effect.opaque;
      const allowedBlock = effect.source === 'do-block' && !effect.opaque && params.allowVisible;
      // A block or body is where its own statements are: only what holds it is worth saying.
      const where = effect.source === 'do-block' || effect.source === 'function-body' ? '' : origin(effect);
      if (!visibleBody && !allowedBlock) matches.push({ message: `the statement ${describe(effect)}${where}`, hint });
    }
    for (const effect of effectsOf(request.statement, 'function')) {
      if (effect.class === 'dynamic-sql' && !stringFunctions.has(effect.name)) {
        matches.push({ message: `the statement runs SQL given as a string through ${code(`${effect.name}()`)}${origin(effect)}`, hint });
      }
    }
    return uniqueMatches(matches);
  },
});
