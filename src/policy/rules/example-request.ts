/**
 * Turns a rule example into decision requests, so the catalogue's examples run as tests (and the
 * engine's tests can reuse them). The analyser must be initialised first (`await initParser()`).
 */
import { analyze } from '../../sql/index.js';
import type { StatementAnalysis } from '../../sql/types.js';
import type { RuleDefinition, RuleExample, RuleMatch } from '../rule.js';
import type { DecisionRequest, RelationFacts } from '../types.js';

/** Decision time of examples that give none: a Wednesday noon, outside any usual freeze window. */
export const EXAMPLE_NOW = '2025-01-15T12:00:00Z';

/** The example's catalog facts, keyed `schema.name` (a bare name is in `public`). */
export function exampleRelations(example: RuleExample): Record<string, RelationFacts> {
  const relations: Record<string, RelationFacts> = {};
  for (const [key, facts] of Object.entries(example.relations ?? {})) {
    const cut = key.lastIndexOf('.');
    const schema = cut < 0 ? 'public' : key.slice(0, cut);
    const name = key.slice(cut + 1);
    relations[`${schema}.${name}`] = {
      schema,
      name,
      tags: facts.tags ?? [],
      columnTags: facts.columnTags ?? {},
      ...(facts.rows === undefined ? {} : { rows: facts.rows }),
      ...(facts.protected === undefined ? {} : { protected: facts.protected }),
      ...(facts.kind === undefined ? {} : { kind: facts.kind }),
    };
  }
  return relations;
}

/** The request an example describes, for one analysed statement of its SQL. */
export function buildExampleRequest(example: RuleExample, statement: StatementAnalysis, statementCount = 1): DecisionRequest {
  return {
    actor: { name: 'example', kind: example.actorKind ?? 'agent', groups: [], attributes: {} },
    session: { door: 'cli' },
    statement,
    statementCount,
    relations: exampleRelations(example),
    environment: 'production',
    now: example.now ?? EXAMPLE_NOW,
    ...(example.impact === undefined ? {} : { impact: { mode: 'estimate', ...example.impact } }),
    ...(example.parameters === undefined ? {} : { parameters: example.parameters }),
  };
}

/** One request per statement of the example's SQL. */
export function buildExampleRequests(example: RuleExample): DecisionRequest[] {
  const { statements } = analyze(example.sql);
  return statements.map((statement) => buildExampleRequest(example, statement, statements.length));
}

/** The rule's parameters for an example: its defaults, overridden key by key (as a policy file does). */
export function exampleParams<P>(example: RuleExample, rule: RuleDefinition<P>): P {
  return { ...rule.defaults, ...example.params } as P;
}

/** Everything the rule reports for the example, over all its statements. */
export function runExample<P>(example: RuleExample, rule: RuleDefinition<P>): RuleMatch[] {
  const params = exampleParams(example, rule);
  return buildExampleRequests(example).flatMap((request) => rule.check({ request, params }));
}
