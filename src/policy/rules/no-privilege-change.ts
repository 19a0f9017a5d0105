import type { PrivilegeOperation } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoPrivilegeChangeParams = Record<string, never>;

/** Role switches are `no-role-switch`'s concern; everything else here changes who may do what. */
const VERBS: Partial<Record<PrivilegeOperation, string>> = {
  grant: 'grants privileges on',
  revoke: 'revokes privileges on',
  'grant-role': 'grants membership in',
  'revoke-role': 'revokes membership in',
  'create-role': 'creates role',
  'alter-role': 'alters role',
  'drop-role': 'drops role',
  'alter-owner': 'changes the owner of',
  'alter-default-privileges': 'changes default privileges for',
  'security-label': 'sets a security label on',
  'create-policy': 'creates row-level security policy',
  'alter-policy': 'alters row-level security policy',
  'drop-policy': 'drops row-level security policy',
};

const HINT = 'privilege changes go through the database administrators: ask for approval';

export const noPrivilegeChange = defineRule({
  id: 'no-privilege-change',
  summary: 'Blocks GRANT, REVOKE, role management, ownership changes and row-level security changes',
  rationale:
    'Privileges are the database\'s own guardrail. A session that can grant itself (or someone else) more, create roles, take ownership of objects ' +
    'or switch off row-level security can undo every other restriction, now or later.',
  solution: 'Ask a database administrator to make the change, through approval or a reviewed migration.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoPrivilegeChangeParams,
  examples: {
    match: [
      { sql: 'GRANT SELECT ON users TO analyst' },
      { sql: 'REVOKE ALL ON SCHEMA public FROM PUBLIC' },
      { sql: 'GRANT admin TO agent' },
      { sql: "CREATE ROLE helper LOGIN PASSWORD 'x'" },
      { sql: 'ALTER ROLE agent SUPERUSER' },
      { sql: 'ALTER TABLE users OWNER TO agent' },
      { sql: 'ALTER TABLE users DISABLE ROW LEVEL SECURITY' },
      { sql: 'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users' },
      { sql: 'SET ROLE reporting', note: 'a role switch is no-role-switch\'s concern' },
      { sql: "SELECT has_table_privilege('users', 'select')" },
    ],
  },
  check({ request }: RuleContext<NoPrivilegeChangeParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'privilege')) {
      const verb = VERBS[effect.operation];
      if (verb === undefined) continue;
      const targets = effect.targets.length > 0 ? ` ${effect.targets.map(code).join(', ')}` : '';
      matches.push({ message: `the statement ${verb}${targets}${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'config')) {
      if (effect.operation !== 'row-security') continue;
      const table = effect.name === undefined ? '' : ` on ${code(effect.name)}`;
      matches.push({ message: `the statement changes row-level security${table}${origin(effect)}`, hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
