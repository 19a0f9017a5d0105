import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, effectsOf, nameSet, origin, relationText, uniqueMatches } from './support.js';

export type NoExplicitLockParams = { allow: string[] };

/** `lock access exclusive` → `ACCESS EXCLUSIVE`, `for update` → `FOR UPDATE`. */
function modeName(mode: string): string {
  return mode.replace(/^lock /, '').toUpperCase();
}

export const noExplicitLock = defineRule({
  id: 'no-explicit-lock',
  summary: 'Blocks explicit locks: LOCK TABLE and row locks (SELECT … FOR UPDATE / FOR SHARE)',
  rationale:
    'An explicit lock lasts until the transaction ends. `LOCK TABLE accounts` takes ACCESS EXCLUSIVE and stops every reader and writer of the table; ' +
    '`SELECT … FOR UPDATE` holds the rows it read against every other writer. A session — often an agent — that takes a lock and then waits, thinks or fails ' +
    'to commit stalls production traffic behind it.',
  solution:
    'Read without locking, and let each write take the locks it needs for the moment it runs. If a lock mode is harmless for your workload (say `FOR SHARE`), list it in `allow`.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allow: { type: 'array', items: { type: 'string' }, description: 'Lock modes to let through, as written in SQL: `ACCESS SHARE`, `FOR SHARE`, `FOR KEY SHARE`, …' },
    },
  },
  defaults: { allow: [] } as NoExplicitLockParams,
  examples: {
    match: [
      { sql: 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE' },
      { sql: 'LOCK accounts' },
      { sql: 'SELECT * FROM jobs WHERE id = 1 FOR UPDATE' },
      { sql: 'DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE', note: 'a cursor that locks every row it passes' },
      { sql: 'SELECT * FROM t FOR SHARE', params: { allow: ['FOR KEY SHARE'] } },
    ],
    noMatch: [
      { sql: 'SELECT * FROM jobs WHERE id = 1' },
      { sql: 'SELECT * FROM t FOR SHARE', params: { allow: ['for share'] } },
      { sql: 'UPDATE jobs SET state = 1 WHERE id = 1', note: 'the locks a write takes for itself' },
    ],
  },
  check({ request, params }: RuleContext<NoExplicitLockParams>): RuleMatch[] {
    const allowed = nameSet(params.allow);
    const hint = 'read without locking and let each write lock what it needs, or ask for approval';
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'lock')) {
      const mode = modeName(effect.mode);
      if (allowed.has(mode.toLowerCase())) continue;
      const tables = effect.relations.map((r) => code(relationText(r))).join(', ');
      const message = effect.mode.startsWith('lock ')
        ? `the statement locks ${tables} in ${code(mode)} mode until the transaction ends${mode === 'ACCESS EXCLUSIVE' ? ', blocking every reader and writer' : ''}`
        : `the statement locks rows of ${tables} with ${code(mode)} until the transaction ends`;
      matches.push({ message: `${message}${origin(effect)}`, hint });
    }
    return uniqueMatches(matches);
  },
});
