/**
 * The JSON Schema of a policy file. `policySchema` is the structure ajv validates at load; the
 * rule ids and their parameters are checked afterwards against the rule registry (so an unknown id
 * gets its own error, with a suggestion). `policyJsonSchema(rules)` adds those per-rule details for
 * editors; `schemas/policy.schema.json` is that output for the built-in catalogue (a test keeps
 * the file in step — regenerate it with `parapet policy schema > schemas/policy.schema.json`).
 */
import type { RuleDefinition } from './rule.js';

const action = { enum: ['allow', 'deny', 'review'] } as const;
const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const identifier = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' } as const;
const ruleId = { type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' } as const;

const obligations = {
  type: 'object',
  additionalProperties: false,
  description: 'What a door must do when it allows the statement.',
  properties: {
    mask: {
      type: 'array',
      description: 'Columns to mask in results, by tag or by `schema.table.column`.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          tags: names,
          columns: names,
          style: { enum: ['redact', 'partial', 'hash', 'null'] },
          keep: { type: 'integer', minimum: 0, description: 'Characters kept visible by `partial`.' },
        },
      },
    },
    maxResultRows: {
      type: 'object',
      additionalProperties: false,
      required: ['rows'],
      properties: { rows: { type: 'integer', minimum: 0 }, onExceed: { enum: ['error', 'truncate'] } },
    },
    maxAffectedRows: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rows: { type: 'integer', minimum: 0 },
        percent: { type: 'number', minimum: 0, maximum: 100 },
        mode: { enum: ['estimate', 'exact'] },
        onUnknown: { enum: ['deny', 'review'] },
      },
    },
    readOnly: { type: 'boolean' },
    requireReason: { type: 'boolean' },
  },
} as const;

const scope = {
  actors: { ...names, description: 'Actor names the rule applies to (any when absent).' },
  groups: { ...names, description: 'Groups the rule applies to: an actor in any of them.' },
  kinds: { type: 'array', items: { enum: ['human', 'agent', 'pipeline', 'service'] } },
  environments: { ...names, description: 'Environments the rule applies in.' },
} as const;

const ruleEntry = {
  type: 'object',
  additionalProperties: false,
  description: 'A built-in rule (`rule:`) or a custom rule (`id:` with a CEL `when:`).',
  properties: {
    rule: { ...ruleId, description: 'Id of a built-in rule.' },
    id: { ...ruleId, description: 'Id of a custom rule.' },
    when: { type: 'string', minLength: 1, description: 'CEL condition over the request; must be a bool.' },
    description: { type: 'string' },
    action,
    params: { type: 'object' },
    message: { type: 'string', minLength: 1 },
    hint: { type: 'string', minLength: 1 },
    sqlstate: { type: 'string', pattern: '^[0-9A-Z]{5}$' },
    obligations,
    needsImpact: { type: 'boolean', description: 'Measure the affected rows before evaluating `when`.' },
    ...scope,
    except: {
      type: 'object',
      additionalProperties: false,
      description: 'Actors, groups or kinds the rule does not apply to.',
      properties: { actors: scope.actors, groups: scope.groups, kinds: scope.kinds },
    },
  },
} as const;

const testCase = {
  type: 'object',
  additionalProperties: false,
  required: ['sql', 'expect'],
  properties: {
    name: { type: 'string' },
    actor: { type: 'string', description: 'Actor name; the anonymous most-restricted actor when absent.' },
    sql: { type: 'string' },
    expect: action,
    rules: { ...names, description: 'The exact set of rule ids the decision must name.' },
    environment: { type: 'string' },
    now: { type: 'string', description: 'Decision time, ISO 8601.' },
    session: {
      type: 'object',
      additionalProperties: false,
      properties: {
        database: { type: 'string' },
        applicationName: { type: 'string' },
        clientAddress: { type: 'string' },
        transaction: { enum: ['idle', 'in-transaction', 'failed'] },
        door: { enum: ['proxy', 'mcp', 'cli', 'http'] },
      },
    },
    impact: {
      type: 'object',
      additionalProperties: false,
      required: ['rows'],
      properties: {
        rows: { anyOf: [{ type: 'integer', minimum: 0 }, { const: 'unknown' }] },
        tableRows: { type: 'integer', minimum: 0 },
        mode: { enum: ['estimate', 'exact'] },
      },
    },
    parameters: { type: 'array', items: { type: ['string', 'null'] } },
  },
} as const;

export const policySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Parapet policy',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    version: { const: 1 },
    environment: { ...identifier, description: 'Environment this policy guards, e.g. `production`.' },
    fail: { enum: ['deny', 'review'], description: 'What an engine error (fail closed) yields.' },
    defaults: {
      type: 'object',
      additionalProperties: false,
      description: 'Baseline action per actor kind when no rule decides.',
      properties: { human: action, agent: action, pipeline: action, service: action },
    },
    actors: {
      type: 'object',
      propertyNames: identifier,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['kind'],
        properties: {
          kind: { enum: ['human', 'agent', 'pipeline', 'service'] },
          description: { type: 'string' },
          groups: names,
          attributes: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          databases: { ...names, description: 'Databases the actor may connect to (any when absent).' },
        },
      },
    },
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        tags: {
          type: 'object',
          description: 'Tags on `schema`, `schema.table` or `schema.table.column`.',
          propertyNames: { pattern: '^[^.]+(\\.[^.]+){0,2}$' },
          additionalProperties: names,
        },
        protected: { ...names, description: 'Protected schemas or tables (`schema` or `schema.table`).' },
      },
    },
    rules: { type: 'array', items: ruleEntry },
    tests: { type: 'array', items: testCase },
  },
} as const;

/** The policy schema with the rule ids and each rule's parameters spelled out, for editors. */
export function policyJsonSchema(rules: readonly RuleDefinition<any>[]): Record<string, unknown> {
  const entry = structuredClone(ruleEntry) as unknown as { properties: Record<string, unknown>; allOf?: unknown[] };
  entry.properties.rule = { enum: rules.map((r) => r.id).sort(), description: 'Id of a built-in rule.' };
  entry.allOf = rules.map((r) => ({
    if: { required: ['rule'], properties: { rule: { const: r.id } } },
    then: { properties: { params: r.paramsSchema } },
  }));
  const schema = structuredClone(policySchema) as unknown as { properties: { rules: { items: unknown } } };
  schema.properties.rules.items = entry;
  return schema as unknown as Record<string, unknown>;
}
