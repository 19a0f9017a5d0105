import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { PINNED_HINT, PINNED_SETTINGS, pinnedSetting } from './pinned-settings.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoPinnedSettingChangeParams = Record<string, never>;

export const noPinnedSettingChange = defineRule({
  id: 'no-pinned-setting-change',
  summary: `Blocks changes of the settings Parapet pins: ${PINNED_SETTINGS.join(', ')}`,
  rationale:
    'Parapet analyses SQL as PostgreSQL reads it with `standard_conforming_strings = on` and UTF-8, and pins both upstream. ' +
    'With backslash escapes switched back on, or a client encoding whose multi-byte characters can swallow a quote, the server would read a string literal ' +
    'differently from the analyser — and run a statement nobody decided on. This rule belongs in every policy, for every actor.',
  solution: 'Leave both settings alone; send text in UTF-8 and write backslashes in `E\'…\'` strings where you need escapes.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoPinnedSettingChangeParams,
  examples: {
    match: [
      { sql: 'SET standard_conforming_strings = off' },
      { sql: "SET client_encoding = 'GBK'" },
      { sql: "SET NAMES 'SJIS'" },
      { sql: "SELECT set_config('standard_conforming_strings', 'off', false)" },
      { sql: 'RESET client_encoding' },
    ],
    noMatch: [
      { sql: "SET application_name = 'x'" },
      { sql: 'SHOW client_encoding' },
      { sql: "SELECT E'a\\\\b'" },
    ],
  },
  check({ request }: RuleContext<NoPinnedSettingChangeParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'config')) {
      const pinned = pinnedSetting(effect);
      if (pinned !== undefined) matches.push({ message: `the statement changes ${code(pinned)}, which Parapet pins${origin(effect)}`, hint: PINNED_HINT });
    }
    return uniqueMatches(matches);
  },
});
