/**
 * Hand-made analyses and small local rules for engine tests: the engine is tested on its own,
 * independent of the analyser and of the built-in catalogue.
 */
import type { Effect, StatementAnalysis } from '../../src/sql/types.js';
import { defineRule, type RuleDefinition } from '../../src/policy/rule.js';
import type { Actor, DecisionRequest } from '../../src/policy/types.js';

export function statement(overrides: Partial<StatementAnalysis> = {}): StatementAnalysis {
  return {
    index: 0,
    sql: 'select 1',
    start: 0,
    end: 8,
    kind: 'select',
    node: 'SelectStmt',
    readOnly: true,
    effects: [],
    parameterCount: 0,
    tags: {},
    fingerprint: 'f0',
    ...overrides,
  };
}

export const rel = (name: string, schema?: string) => ({ name, ...(schema ? { schema } : {}), qualified: schema !== undefined });

export const selectUsers = statement({
  sql: 'select email from public.users',
  effects: [{ type: 'read', relation: rel('users', 'public'), columns: ['email'] }],
});

export const dropUsers = statement({
  sql: 'drop table users',
  kind: 'drop',
  node: 'DropStmt',
  readOnly: false,
  effects: [{ type: 'ddl', operation: 'drop', objectKind: 'table', names: ['users'], relation: rel('users') }],
});

export const deleteAll = statement({
  sql: 'delete from users',
  kind: 'delete',
  node: 'DeleteStmt',
  readOnly: false,
  effects: [{ type: 'write', relation: rel('users'), operation: 'delete', where: 'none' }],
});

export const opaqueDo = statement({
  sql: "do $$ begin execute 'x'; end $$",
  kind: 'do',
  node: 'DoStmt',
  readOnly: 'unknown',
  effects: [{ type: 'dynamic-sql', source: 'do-block', language: 'plpgsql', opaque: true }],
});

export const syntaxError = statement({
  sql: 'selec 1',
  kind: 'unknown',
  node: undefined,
  readOnly: 'unknown',
  error: { code: '42601', message: 'syntax error at or near "selec"', position: 1 },
});

export function actor(name: string, kind: Actor['kind'], groups: string[] = []): Actor {
  return { name, kind, groups, attributes: {} };
}

export function request(stmt: StatementAnalysis, who: Actor, extra: Partial<DecisionRequest> = {}): DecisionRequest {
  return { actor: who, session: {}, statement: stmt, relations: {}, environment: 'production', now: '2025-03-01T12:00:00Z', ...extra };
}

const hasEffect = (s: StatementAnalysis, test: (e: Effect) => boolean) => s.effects.some(test);

/** Denies drops (stands in for the catalogue's no-drop). */
export const testNoDrop = defineRule({
  id: 'test-no-drop',
  summary: 'test rule: blocks drops',
  rationale: 'test',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { kinds: { type: 'array', items: { type: 'string' } } } },
  defaults: { kinds: ['table'] as string[] },
  examples: { match: [], noMatch: [] },
  check: ({ request, params }) =>
    hasEffect(request.statement, (e) => e.type === 'ddl' && e.operation === 'drop' && params.kinds.includes(e.objectKind))
      ? [{ message: 'dropping is not allowed', hint: 'rename instead' }]
      : [],
});

/** Holds writes without WHERE for review (stands in for require-where). */
export const testRequireWhere = defineRule({
  id: 'test-require-where',
  summary: 'test rule: writes need a WHERE',
  rationale: 'test',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {},
  examples: { match: [], noMatch: [] },
  check: ({ request }) =>
    hasEffect(request.statement, (e) => e.type === 'write' && e.where !== 'present')
      ? [{ message: 'the write has no WHERE clause', hint: 'add a WHERE clause', sqlstate: '42P99' }]
      : [],
});

/** Masks columns tagged pii (an obligation-only rule). */
export const testMask = defineRule({
  id: 'test-mask',
  summary: 'test rule: masks pii',
  rationale: 'test',
  defaultAction: 'allow',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { style: { enum: ['redact', 'partial', 'hash', 'null'] } } },
  defaults: { style: 'redact' as 'redact' | 'partial' | 'hash' | 'null' },
  examples: { match: [], noMatch: [] },
  check: ({ request, params }) =>
    Object.values(request.relations).some((r) => Object.values(r.columnTags).some((t) => t.includes('pii')))
      ? [{ message: 'pii columns are masked', obligations: { mask: [{ tags: ['pii'], columns: [], style: params.style }] } }]
      : [],
});

/** Places a standing read-only obligation (like the catalogue's read-only rule). */
export const testReadOnly = defineRule({
  id: 'test-read-only',
  summary: 'test rule: read-only sessions',
  rationale: 'test',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {},
  standingObligations: () => ({ readOnly: true }),
  examples: { match: [], noMatch: [] },
  check: ({ request }) => (request.statement.readOnly === false ? [{ message: 'this actor may only read' }] : []),
});

/** Always throws: the engine must fail closed. */
export const testThrows = defineRule({
  id: 'test-throws',
  summary: 'test rule: broken',
  rationale: 'test',
  defaultAction: 'deny',
  paramsSchema: { type: 'object' },
  defaults: {},
  examples: { match: [], noMatch: [] },
  check: () => {
    throw new Error('boom');
  },
});

/** Needs an impact figure for writes. */
export const testMaxRows = defineRule({
  id: 'test-max-rows',
  summary: 'test rule: at most 10 rows',
  rationale: 'test',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { rows: { type: 'integer', minimum: 0 } } },
  defaults: { rows: 10 },
  needsImpact: (request) => request.statement.readOnly !== true,
  examples: { match: [], noMatch: [] },
  check: ({ request, params }) => {
    const rows = request.impact?.rows;
    if (rows === undefined || rows === 'unknown') return [{ message: 'the impact is unknown', action: 'review' }];
    return rows > params.rows ? [{ message: `would touch ${rows} rows` }] : [];
  },
});

export const testRules: RuleDefinition<any>[] = [testNoDrop, testRequireWhere, testMask, testReadOnly, testThrows, testMaxRows];
