import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, nameSet, origin, uniqueMatches } from './support.js';

export type NoRoleSwitchParams = { allow: string[] };

const HINT = 'run the statement as yourself; if it needs another role\'s rights, ask for approval';

export const noRoleSwitch = defineRule({
  id: 'no-role-switch',
  summary: 'Blocks SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION and their set_config and DISCARD ALL equivalents',
  rationale:
    'Parapet decides for the actor who logged in. Switching the upstream role mid-session changes whose rights apply — up to a superuser if the connection role may — ' +
    'and resetting the role undoes the restricted role the session was given. Every way to switch counts: `SET ROLE`, `SET role = …`, ' +
    '`set_config(\'role\', …)`, `SET SESSION AUTHORIZATION`, `RESET ROLE` and `DISCARD ALL`.',
  solution: 'Run the statement as the actor you are. Roles that are safe to switch to (say a read-only reporting role) can be listed in `allow`.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: { type: 'array', items: { type: 'string' }, description: 'Roles that `SET ROLE` may switch to' },
    },
  },
  defaults: { allow: [] } as NoRoleSwitchParams,
  examples: {
    match: [
      { sql: 'SET ROLE postgres' },
      { sql: 'SET SESSION AUTHORIZATION admin' },
      { sql: 'RESET ROLE' },
      { sql: "SELECT set_config('role', 'postgres', false)" },
      { sql: 'SET LOCAL role = admin' },
      { sql: 'DISCARD ALL' },
      { sql: 'SET ROLE admin', params: { allow: ['reporting'] } },
    ],
    noMatch: [
      { sql: 'SELECT current_user' },
      { sql: 'SET ROLE reporting', params: { allow: ['reporting'] } },
      { sql: "SET application_name = 'role'" },
    ],
  },
  check({ request, params }: RuleContext<NoRoleSwitchParams>): RuleMatch[] {
    const allowed = nameSet(params.allow);
    const switchTo = (role: string | undefined, how: string, origin: string): RuleMatch[] =>
      role !== undefined && allowed.has(role.toLowerCase())
        ? []
        : [{ message: `the statement switches the role${role === undefined ? '' : ` to ${code(role)}`} with ${how}${origin}`, hint: HINT }];

    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'privilege')) {
      if (effect.operation === 'set-role') matches.push(...switchTo(effect.targets[0], '`SET ROLE`', origin(effect)));
      else if (effect.operation === 'reset-role') matches.push({ message: `the statement resets the role with \`RESET ROLE\`${origin(effect)}`, hint: HINT });
      else if (effect.operation === 'set-session-authorization') {
        matches.push({ message: `the statement switches the session user${effect.targets[0] === undefined ? '' : ` to ${code(effect.targets[0])}`}${origin(effect)}`, hint: HINT });
      }
    }
    for (const effect of effectsOf(request.statement, 'config')) {
      const safety = effect.safety ?? [];
      if (safety.includes('session-authorization')) {
        matches.push({ message: `the statement switches the session user through ${code(effect.name ?? 'session_authorization')}${origin(effect)}`, hint: HINT });
      } else if (safety.includes('role')) {
        const how = effect.operation === 'set-config' ? '`set_config`' : code(effect.name ?? 'role');
        matches.push(...(effect.operation.startsWith('reset') ? [{ message: `the statement resets the role${origin(effect)}`, hint: HINT }] : switchTo(effect.value, how, origin(effect))));
      }
    }
    for (const effect of effectsOf(request.statement, 'session')) {
      if (effect.operation === 'discard-all') matches.push({ message: 'the statement resets the session user and role with `DISCARD ALL`', hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
