import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { whyNotReadOnly } from './support.js';

export type NoUnknownEffectsParams = Record<string, never>;

export const noUnknownEffects = defineRule({
  id: 'no-unknown-effects',
  summary: 'Blocks statements whose effects the analysis cannot determine: opaque dynamic SQL, unknown functions, prepared names it has not seen',
  rationale:
    'Every other rule judges what the analysis sees. A statement it cannot see through — `EXECUTE` of a prepared statement it was not shown, ' +
    'a call of a user function or operator, dynamic SQL assembled at run time, a statement form it does not know — could do anything those rules exist to stop. ' +
    'Failing closed on them is the safe default for actors that may write, where `read-only` does not apply.',
  solution:
    'Send the SQL itself rather than a name or a function that hides it. A user function known to be harmless can be declared to the catalog, or allowed for the actor by a narrower policy.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoUnknownEffectsParams,
  examples: {
    match: [
      { sql: 'EXECUTE wipe(42)' },
      { sql: 'SELECT archive_everything()' },
      { sql: "DO $$ DECLARE t text := 'users'; BEGIN EXECUTE 'DELETE FROM ' || t; END $$" },
    ],
    noMatch: [
      { sql: 'DELETE FROM users WHERE id = 42', note: 'a known write is judged by the other rules' },
      { sql: 'SELECT lower(name) FROM users' },
    ],
  },
  check({ request }: RuleContext<NoUnknownEffectsParams>): RuleMatch[] {
    if (request.statement.readOnly !== 'unknown') return [];
    return [{ message: `the statement's effects cannot be determined: ${whyNotReadOnly(request.statement)}`, hint: 'send the SQL itself rather than a name or function that hides it, or ask for approval' }];
  },
});
