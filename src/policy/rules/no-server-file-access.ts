import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoServerFileAccessParams = Record<string, never>;

const HINT = 'the server\'s files are off limits: use `COPY … FROM STDIN` / `TO STDOUT` (psql `\\copy`) to move data through your own connection';

export const noServerFileAccess = defineRule({
  id: 'no-server-file-access',
  summary: 'Blocks reading and writing files on the database server: COPY to or from a file, pg_read_file and friends, lo_import and lo_export',
  rationale:
    'Files on the database server hold its configuration, its keys, other databases\' data files and the operating system\'s secrets. ' +
    '`COPY … FROM \'/etc/passwd\'`, `pg_read_file`, `pg_ls_dir` and `lo_import` read them; `COPY … TO` a file and `lo_export` write them — ' +
    'a step from reading secrets to planting code.',
  solution: 'Move data through your own connection with `COPY … FROM STDIN` / `COPY … TO STDOUT` (psql\'s `\\copy` does this).',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoServerFileAccessParams,
  examples: {
    match: [
      { sql: "COPY users FROM '/tmp/users.csv' WITH (FORMAT csv)" },
      { sql: "COPY (SELECT * FROM users) TO '/tmp/out.csv'" },
      { sql: "SELECT pg_read_file('/etc/passwd')" },
      { sql: "SELECT * FROM pg_ls_dir('.')" },
      { sql: "SELECT lo_import('/etc/shadow')" },
      { sql: "SELECT lo_export(16409, '/tmp/x')" },
    ],
    noMatch: [
      { sql: 'COPY users TO STDOUT' },
      { sql: 'COPY users FROM STDIN' },
      { sql: "SELECT '/etc/passwd'" },
    ],
  },
  check({ request }: RuleContext<NoServerFileAccessParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'external')) {
      if (effect.channel !== 'file') continue;
      const file = effect.target === undefined ? 'a server file' : `server file ${code(effect.target)}`;
      const verb = effect.direction === 'write' ? 'writes' : effect.direction === 'read' ? 'reads' : 'accesses';
      const via = effect.function === undefined ? '' : ` through ${code(`${effect.function}()`)}`;
      matches.push({ message: `the statement ${verb} ${file}${via}${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'function')) {
      // The analysis reports file functions as file access too; a call it could not place still counts.
      if (effect.class === 'file') {
        const already = matches.some((m) => m.message.includes(code(`${effect.name}()`)));
        if (!already) matches.push({ message: `the statement calls ${code(`${effect.name}()`)}, which accesses files on the database server${origin(effect)}`, hint: HINT });
      }
    }
    return uniqueMatches(matches);
  },
});
