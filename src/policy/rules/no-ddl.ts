import type { DdlOperation } from '../../sql/types.js';
import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { code, ddlVerb, effectsOf, kindWords, origin, uniqueMatches } from './support.js';

export type NoDdlParams = { operations: DdlOperation[]; objectKinds: string[] };

const DDL_OPERATIONS: DdlOperation[] = ['create', 'alter', 'drop', 'truncate', 'rename', 'alter-drop-column', 'comment', 'refresh', 'other'];

export const noDdl = defineRule({
  id: 'no-ddl',
  summary: 'Blocks schema changes: CREATE, ALTER, DROP, TRUNCATE, RENAME, COMMENT, REFRESH …',
  rationale:
    'Schema changes lock tables, break the applications that depend on them, and are rarely what an ad-hoc session or an agent should be doing. ' +
    'They belong in reviewed migrations run by a pipeline.',
  solution: 'Put the change in a migration that goes through review and runs as a pipeline actor, or ask for approval.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      operations: { type: 'array', items: { enum: DDL_OPERATIONS }, description: 'Operations to block; empty blocks every operation' },
      objectKinds: { type: 'array', items: { type: 'string' }, description: 'Object kinds to block (`table`, `index`, `view`, …); empty blocks every kind' },
    },
  },
  defaults: { operations: [], objectKinds: [] } as NoDdlParams,
  examples: {
    match: [
      { sql: 'CREATE TABLE t (id int)' },
      { sql: 'ALTER TABLE users ADD COLUMN age int' },
      { sql: 'CREATE INDEX users_name_idx ON users (name)' },
      { sql: 'REFRESH MATERIALIZED VIEW sales_summary' },
      { sql: "COMMENT ON TABLE users IS 'people'" },
      { sql: 'DROP VIEW v', params: { operations: ['drop'] } },
    ],
    noMatch: [
      { sql: 'SELECT * FROM users' },
      { sql: "INSERT INTO users (name) VALUES ('create table x')" },
      { sql: 'CREATE INDEX i ON users (name)', params: { operations: ['drop', 'truncate'] } },
      { sql: 'CREATE VIEW v AS SELECT 1', params: { objectKinds: ['table'] } },
    ],
  },
  check({ request, params }: RuleContext<NoDdlParams>): RuleMatch[] {
    const matches: RuleMatch[] = [];
    for (const effect of effectsOf(request.statement, 'ddl')) {
      if (params.operations.length > 0 && !params.operations.includes(effect.operation)) continue;
      if (params.objectKinds.length > 0 && !params.objectKinds.includes(effect.objectKind)) continue;
      const names = effect.names.length > 0 ? ` ${effect.names.map(code).join(', ')}` : '';
      matches.push({
        message: `the statement ${ddlVerb(effect.operation)} ${kindWords(effect.objectKind)}${names}${origin(effect)}`,
        hint: 'schema changes go through a reviewed migration: commit it to the migrations, or ask for approval',
      });
    }
    return uniqueMatches(matches);
  },
});
