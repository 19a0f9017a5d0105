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
    // SET ROLE and SET role = … are reported both as a privilege change and as a setting: the
    // messages are worded the same so each switch is reported once.
    const role = (value: string | undefined, where: string): RuleMatch[] => {
      if (value === undefined) return [{ message: `the statement switches the role${where}`, hint: HINT }];
      if (value.toLowerCase() === 'none') return [{ message: `the statement resets the role${where}`, hint: HINT }];
      return allowed.has(value.toLowerCase()) ? [] : [{ message: `the statement switches the role to ${code(value)}${where}`, hint: HINT }];
    };
    const sessionUser = (value: string | undefined, where: string): RuleMatch => ({
      message: `the statement switches the session user${value === undefined ? '' : ` to ${code(value)}`}${where}`,
      hint: HINT,
    });

    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'privilege')) {
      if (effect.operation === 'set-role') matches.push(...role(effect.targets[0], origin(effect)));
      else if (effect.operation === 'reset-role') matches.push(...role('none', origin(effect)));
      else if (effect.operation === 'set-session-authorization') matches.push(sessionUser(effect.targets[0], origin(effect)));
    }
    for (const effect of effectsOf(request.statement, 'config')) {
      const safety = effect.safety ?? [];
      const reset = effect.operation === 'reset' || effect.operation === 'reset-all';
      if (safety.includes('session-authorization')) matches.push(sessionUser(reset ? 'default' : effect.value, origin(effect)));
      else if (safety.includes('role')) matches.push(...role(reset ? 'none' : effect.value, origin(effect)));
    }
    if (effectsOf(request.statement, 'session').some((s) => s.operation === 'discard-all')) {
      matches.push({ message: 'the statement resets the session user and role with `DISCARD ALL`', hint: HINT });
    }
    return uniqueMatches(matches);
  },
});
