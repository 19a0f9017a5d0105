import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, origin, uniqueMatches } from './support.js';

export type NoTriggerDisableParams = Record<string, never>;

const HINT = 'keep triggers and foreign key checks on; if a bulk load really needs them off, ask for approval';

export const noTriggerDisable = defineRule({
  id: 'no-trigger-disable',
  summary: 'Blocks switching off triggers and rules: DISABLE TRIGGER, DISABLE RULE and session_replication_role',
  rationale:
    'Triggers keep audit tables, denormalised totals and invariants right; foreign key checks are triggers too. ' +
    '`ALTER TABLE … DISABLE TRIGGER` switches them off for everyone, and `session_replication_role = replica` switches off every ordinary trigger ' +
    'and every foreign key check for the session — a quiet way to write rows no constraint would let through.',
  solution: 'Write through the triggers. A bulk load that must bypass them is a reviewed, approved operation.',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as NoTriggerDisableParams,
  examples: {
    match: [
      { sql: 'ALTER TABLE orders DISABLE TRIGGER ALL' },
      { sql: 'ALTER TABLE orders DISABLE TRIGGER orders_audit' },
      { sql: 'SET session_replication_role = replica' },
      { sql: "SELECT set_config('session_replication_role', 'replica', true)" },
      { sql: 'ALTER TABLE orders DISABLE RULE orders_log' },
    ],
    noMatch: [
      { sql: 'ALTER TABLE orders ENABLE TRIGGER ALL' },
      { sql: 'SET session_replication_role = origin', note: 'back to the default' },
      { sql: 'SELECT * FROM pg_trigger' },
    ],
  },
  check({ request }: RuleContext<NoTriggerDisableParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'config')) {
      const on = effect.target === undefined ? '' : ` on ${code(effect.target)}`;
      if (effect.operation === 'disable-trigger') {
        const which = effect.name === 'all' ? 'all triggers, foreign key checks included,' : effect.name === 'user' ? 'all user triggers' : `trigger ${code(effect.name ?? '?')}`;
        matches.push({ message: `the statement disables ${which}${on}${origin(effect)}`, hint: HINT });
      } else if (effect.operation === 'disable-rule') {
        matches.push({ message: `the statement disables rule ${code(effect.name ?? '?')}${on}${origin(effect)}`, hint: HINT });
      } else if ((effect.safety ?? []).includes('replication-role') && effect.operation !== 'reset' && effect.operation !== 'reset-all' && effect.value?.toLowerCase() !== 'origin') {
        const value = effect.value === undefined ? '' : ` to ${code(effect.value)}`;
        matches.push({ message: `the statement sets \`session_replication_role\`${value}, which switches off triggers and foreign key checks${origin(effect)}`, hint: HINT });
      }
    }
    return uniqueMatches(matches);
  },
});
