import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { PINNED_SETTINGS } from './pinned-settings.js';
import { code, effectsOf, nameSet, origin, uniqueMatches } from './support.js';

export type NoSensitiveParametersParams = { acceptable: Record<string, string[]> };

const PINNED = new Set<string>(PINNED_SETTINGS);

/** A bound value for a message: short, since it may be long or private. */
function shown(value: string): string {
  return code(value.length > 60 ? `${value.slice(0, 57)}…` : value);
}

export const noSensitiveParameters = defineRule({
  id: 'no-sensitive-parameters',
  summary: 'Blocks `$n` parameters whose bound value decides what a statement does (set_config($1, …), pg_read_file($1)) unless the value is known and accepted',
  rationale:
    'With the extended protocol, `SELECT set_config($1, $2, false)` looks harmless as text; the setting it changes arrives later, as a bound value. ' +
    'Rules that read the statement cannot judge what they cannot see, so a statement with a parameter in such a position is held until its values are bound, ' +
    'and then passes only when every such value is on the accepted list for its concern (for `config`, the setting name). ' +
    'When `set_config` names its setting as a literal, a parameter in it is the value, and it passes when the setting is on the `config` list. ' +
    'A NULL value is accepted: these functions do nothing with NULL. The pinned settings (standard_conforming_strings, client_encoding) are never accepted. ' +
    'When the setting name is a parameter too, every bound value of the call must be on the list, so bind the name and write the value as a literal.',
  solution:
    'Write the value into the statement as a literal, so every rule can judge it — or, for a value that must stay a parameter, have it added to `acceptable` for its concern.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      acceptable: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string' } },
        description: 'Accepted bound values per concern, e.g. `{config: [application_name, statement_timeout]}`; a concern without a list accepts nothing',
      },
    },
  },
  defaults: { acceptable: { config: ['application_name', 'statement_timeout', 'lock_timeout'] } } as NoSensitiveParametersParams,
  examples: {
    match: [
      { sql: 'SELECT set_config($1, $2, false)', note: 'no values bound yet' },
      { sql: 'SELECT set_config($1, $2, false)', parameters: ['role', 'postgres'] },
      { sql: 'SELECT set_config($1, $2, false)', parameters: ['client_encoding', 'SJIS'], params: { acceptable: { config: ['client_encoding'] } } },
      { sql: 'SELECT pg_read_file($1)', parameters: ['/etc/passwd'] },
    ],
    noMatch: [
      { sql: "SELECT set_config($1, 'report', false)", parameters: ['application_name'] },
      { sql: 'SELECT * FROM users WHERE id = $1' },
      { sql: "SELECT set_config('application_name', $1, false)", note: 'the value of a harmless setting decides nothing' },
    ],
  },
  check({ request, params }: RuleContext<NoSensitiveParametersParams>): RuleMatch[] {
    const { statement } = request;
    const sensitive = effectsOf(statement, 'sensitive-parameter');
    if (sensitive.length === 0) return [];
    const accepted = (concern: string, value: string) =>
      nameSet(params.acceptable[concern] ?? []).has(value.toLowerCase()) && !(concern === 'config' && PINNED.has(value.toLowerCase()));
    // set_config with literal setting names: a parameter there is a value, harmless when every named setting is.
    const names = effectsOf(statement, 'config').filter((c) => c.operation === 'set-config').map((c) => c.name);
    const harmlessValues = names.length > 0 && names.every((name) => name !== undefined && accepted('config', name));
    const hint = 'write the value into the statement as a literal so it can be checked';
    const matches: RuleMatch[] = [];
    for (const effect of sensitive) {
      if (effect.concern === 'config' && harmlessValues) continue;
      const fn = code(`${effect.function}()`);
      const param = code(`$${effect.parameter}`);
      const value = request.parameters?.[effect.parameter - 1];
      if (value === undefined) {
        matches.push({ message: `the value of ${param} decides what ${fn} does, and it is not known yet${origin(effect)}`, hint });
      } else if (value !== null && !accepted(effect.concern, value)) {
        matches.push({ message: `${param} is bound to ${shown(value)}, which is not an accepted value for ${fn}${origin(effect)}`, hint });
      }
    }
    return uniqueMatches(matches);
  },
});
