/**
 * The one decision pipeline behind every door: analyse → resolve names through the catalog port →
 * measure impact when a rule needs the figure → decide, per statement; then the strictest
 * statement decides the whole text. No I/O of its own: the ports do it.
 */
import { analyze as analyzeText, initParser } from '../sql/index.js';
import type { Analysis, StatementAnalysis } from '../sql/types.js';
import { strictest } from '../policy/combine.js';
import { decide, pipelineFailure } from '../policy/decide.js';
import type { Actor, Decision, DecisionRequest, ImpactFigure, SessionContext } from '../policy/types.js';
import { decideStartup } from './connect.js';
import { relationsOf } from './relations.js';
import { staticCatalog } from './static-catalog.js';
import type { Guard, GuardInput, GuardOptions, GuardResult } from './types.js';

async function defaultAnalyze(text: string): Promise<Analysis> {
  await initParser();
  return analyzeText(text);
}

export function createGuard(options: GuardOptions): Guard {
  const { policy, impact } = options;
  const catalog = options.catalog ?? staticCatalog(policy);
  const clock = options.clock ?? (() => new Date());
  const analyze = options.analyze ?? defaultAnalyze;
  const environment = options.environment ?? policy.environment;

  async function decideStatement(statement: StatementAnalysis, count: number, input: GuardInput, now: string): Promise<Decision> {
    try {
      return await gatherAndDecide(statement, count, input, now);
    } catch (error) {
      return pipelineFailure(policy, error);
    }
  }

  async function gatherAndDecide(statement: StatementAnalysis, count: number, input: GuardInput, now: string): Promise<Decision> {
    const request: DecisionRequest = {
      actor: input.actor,
      session: input.session,
      statement,
      statementCount: count,
      relations: statement.error ? {} : await catalog.resolve(relationsOf(statement), input.session),
      environment,
      now,
      ...(input.parameters ? { parameters: input.parameters } : {}),
    };
    if (impact && !statement.error && wantsImpact(request)) request.impact = await measure(statement, input.session, count);
    return decide(request, policy);
  }

  function wantsImpact(request: DecisionRequest): boolean {
    for (const rule of policy.rulesFor(request.actor, environment)) {
      try {
        if (rule.needsImpact?.(request)) return true;
      } catch {
        return true; // a rule that cannot tell gets the figure; its own check then decides
      }
    }
    return false;
  }

  async function measure(statement: StatementAnalysis, session: SessionContext, statements: number): Promise<ImpactFigure> {
    try {
      return await impact!.measure(statement, session, { statements });
    } catch (error) {
      // An unmeasurable write is unknown, never zero: the rules escalate it.
      return { rows: 'unknown', mode: 'estimate', error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** An analyser that throws is an analysis error, decided (and denied) like any other. */
  async function analyzeSafely(sql: string): Promise<Analysis> {
    try {
      return await analyze(sql);
    } catch (error) {
      const failure = { code: 'XX000', message: `internal analyser error: ${error instanceof Error ? error.message : String(error)}` };
      const statement: StatementAnalysis = { index: 0, sql, start: 0, end: sql.length, kind: 'unknown', readOnly: 'unknown', effects: [], parameterCount: 0, tags: {}, fingerprint: '', error: failure };
      return { statements: [statement], error: failure };
    }
  }

  const guard: Guard = {
    policy,
    environment,
    async evaluate(input: GuardInput): Promise<GuardResult> {
      const analysis = input.analysis ?? (await analyzeSafely(input.sql));
      const now = clock().toISOString();
      const decisions: Decision[] = [];
      for (const statement of analysis.statements) decisions.push(await decideStatement(statement, analysis.statements.length, input, now));
      return { analysis, decisions, decision: strictest(decisions) };
    },
    decideConnect(actor: Actor, database: string, startupParameters: Readonly<Record<string, string | undefined>>): Promise<Decision> {
      return decideStartup(guard, actor, database, startupParameters);
    },
    actor: (name) => policy.actors.get(name),
    anonymousActor: () => policy.anonymous,
  };
  return guard;
}
