import type { ConfigEffect } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { PINNED_HINT, pinnedSetting } from './pinned-settings.js';
import { code, effectsOf, nameSet, origin, uniqueMatches } from './support.js';

export type NoConfigChangeParams = { allow: string[] };

/** Changes beyond the session, or of every setting at once: never covered by the allow list. */
const WIDE: Partial<Record<ConfigEffect['operation'], string>> = {
  'reset-all': 'resets every setting with `RESET ALL`',
  'alter-system': 'changes the server configuration with `ALTER SYSTEM`',
  'alter-role-set': 'changes the default settings of a role',
  'alter-database-set': 'changes the default settings of a database',
  'set-session-characteristics': 'changes the session\'s transaction defaults',
};

function describe(effect: ConfigEffect): string {
  const name = effect.name === undefined ? '' : ` ${code(effect.name)}`;
  const wide = WIDE[effect.operation];
  if (wide !== undefined) return `the statement ${wide}${name === '' ? '' : `:${name}`}`;
  if (effect.name === undefined) return effect.operation === 'set-config' ? 'the statement calls `set_config` with a setting name that is not a literal' : 'the statement changes a setting whose name is not a literal';
  if (effect.operation === 'reset') return `the statement resets${name}`;
  return `the statement sets${name}${effect.value === undefined ? '' : ` to ${code(effect.value)}`}`;
}

export const noConfigChange = defineRule({
  id: 'no-config-change',
  summary: 'Blocks changes of server, database, role and session settings, except settings listed as harmless',
  rationale:
    'Settings change what the server does with every later statement: `search_path` can shadow builtins with look-alike functions, ' +
    '`ALTER SYSTEM` rewrites the server\'s configuration, `RESET ALL` and `DISCARD ALL` undo what the session was set up with. ' +
    '`standard_conforming_strings` and `client_encoding` are always blocked, whatever the allow list says: they change how the server reads string literals, ' +
    'so a change would make the server run something other than what was analysed.',
  solution:
    'Leave settings as the session got them. A harmless setting your client needs (say `statement_timeout`) can be added to `allow`; ' +
    'server-wide changes go through the database administrators.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: {
        type: 'array',
        items: { type: 'string' },
        description: 'Settings a session may SET, RESET or set_config; never extends to ALTER SYSTEM / ROLE / DATABASE, nor to the pinned settings',
      },
    },
  },
  defaults: {
    allow: ['application_name', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'extra_float_digits', 'datestyle', 'intervalstyle', 'timezone'],
  } as NoConfigChangeParams,
  examples: {
    match: [
      { sql: 'SET search_path = evil, public' },
      { sql: "ALTER SYSTEM SET log_statement = 'none'" },
      { sql: "SELECT set_config('work_mem', '10GB', false)" },
      { sql: 'SET standard_conforming_strings = off', params: { allow: ['standard_conforming_strings'] }, note: 'pinned: never allowed' },
      { sql: "SET NAMES 'SJIS'" },
      { sql: 'RESET ALL' },
      { sql: 'DISCARD ALL' },
      { sql: "ALTER ROLE agent SET statement_timeout = 0" },
      { sql: "UPDATE pg_settings SET setting = 'off' WHERE name = 'log_statement'", note: 'set_config in disguise' },
      { sql: 'UPDATE pg_catalog.pg_settings SET setting = $1 WHERE name = $2' },
      { sql: 'SELECT set_config($1, $2, false)', note: 'setting name not a literal' },
    ],
    noMatch: [
      { sql: "SET application_name = 'report'" },
      { sql: "SET statement_timeout = '5s'" },
      { sql: "SELECT current_setting('search_path')" },
      { sql: 'SHOW work_mem' },
      { sql: "SET search_path = app", params: { allow: ['search_path'] } },
    ],
  },
  check({ request, params }: RuleContext<NoConfigChangeParams>): RuleMatch[] {
    const allowed = nameSet(params.allow);
    const configs = effectsOf(request.statement, 'config');
    const discards = effectsOf(request.statement, 'session').some((s) => s.operation === 'discard-all');
    if (configs.length === 0 && !discards) return [];
    const hint = params.allow.length > 0 ? `leave the settings as they are; a session may change only ${params.allow.map(code).join(', ')}` : 'leave the settings as they are';
    const matches: RuleMatch[] = [];
    for (const effect of configs) {
      const pinned = pinnedSetting(effect);
      if (pinned !== undefined) {
        matches.push({ message: `${describe(effect)}, which Parapet pins${origin(effect)}`, hint: PINNED_HINT });
        continue;
      }
      const sessionChange = effect.operation === 'set' || effect.operation === 'reset' || effect.operation === 'set-config';
      if (sessionChange && effect.name !== undefined && allowed.has(effect.name)) continue;
      if (sessionChange || WIDE[effect.operation] !== undefined) matches.push({ message: `${describe(effect)}${origin(effect)}`, hint });
    }
    if (discards) {
      matches.push({ message: 'the statement resets every setting with `DISCARD ALL`', hint });
    }
    return uniqueMatches(matches);
  },
});
