import type { PrivilegeEffect, PrivilegeOperation } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, kindWords, origin, uniqueMatches } from './support.js';

export type NoPrivilegeChangeParams = Record<string, never>;

/** Role switches are `no-role-switch`'s concern; everything else here changes who may do what. */
const VERBS: Partial<Record<PrivilegeOperation, string>> = {
  'create-role': 'creates role',
  'alter-role': 'alters role',
  'drop-role': 'drops role',
  'security-label': 'sets a security label on',
  'create-policy': 'creates row-level security policy',
  'alter-policy': 'alters row-level security policy',
  'drop-policy': 'drops row-level security policy',
};

const list = (items: string[] | undefined) => (items ?? []).map(code).join(', ');

/** One sentence per privilege change, from the parts the analysis found. */
function describe(effect: PrivilegeEffect): string | undefined {
  const targets = list(effect.targets);
  const kind = effect.objectKind === undefined || effect.objectKind === 'policy' ? '' : `${kindWords(effect.objectKind)} `;
  switch (effect.operation) {
    case 'grant':
    case 'revoke': {
      const grant = effect.operation === 'grant';
      const what = effect.privileges?.length ? list(effect.privileges) : 'privileges';
      const on = targets === '' ? '' : ` on ${kind}${targets}`;
      const who = effect.grantees?.length ? ` ${grant ? 'to' : 'from'} ${list(effect.grantees)}` : '';
      return `${grant ? 'grants' : 'revokes'} ${what}${on}${who}`;
    }
    case 'grant-role':
    case 'revoke-role': {
      const grant = effect.operation === 'grant-role';
      const who = effect.grantees?.length ? ` ${grant ? 'to' : 'from'} ${list(effect.grantees)}` : '';
      return `${grant ? 'grants' : 'revokes'} membership in ${targets}${who}`;
    }
    case 'alter-owner':
      return `changes the owner of ${kind}${targets}${effect.grantees?.length ? ` to ${list(effect.grantees)}` : ''}`;
    case 'alter-default-privileges':
      return `changes the default privileges of new objects${effect.privileges?.length ? ` (${list(effect.privileges)}${effect.grantees?.length ? ` for ${list(effect.grantees)}` : ''})` : ''}`;
    case 'alter-role':
      return `alters role ${targets}${effect.privileges?.length ? ` (${list(effect.privileges)})` : ''}`;
    default: {
      const verb = VERBS[effect.operation];
      return verb === undefined ? undefined : `${verb} ${kind}${targets}`.trimEnd();
    }
  }
}

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
    const privileges = effectsOf(request.statement, 'privilege');
    // ALTER DEFAULT PRIVILEGES also reports the GRANT it wraps, with no objects: say it once.
    const defaults = privileges.some((e) => e.operation === 'alter-default-privileges');
    for (const effect of privileges) {
      if (defaults && (effect.operation === 'grant' || effect.operation === 'revoke') && effect.targets.length === 0) continue;
      const description = describe(effect);
      if (description !== undefined) matches.push({ message: `the statement ${description}${origin(effect)}`, hint: HINT });
    }
    for (const effect of effectsOf(request.statement, 'config')) {
      if (effect.operation !== 'row-security') continue;
      const how = effect.value === 'no force' ? 'stops forcing row-level security' : 'disables row-level security';
      matches.push({ message: `the statement ${how}${effect.target === undefined ? '' : ` on ${code(effect.target)}`}${origin(effect)}`, hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
