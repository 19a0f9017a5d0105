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
import type { Policy } from '../policy/policy.js';
import type { CatalogPort, Guard, GuardInput, GuardOptions, GuardResult, ImpactPort } from './types.js';

async function defaultAnalyze(text: string): Promise<Analysis> {
  await initParser();
  return analyzeText(text);
}

export function createGuard(options: GuardOptions): Guard {
  return new PipelineGuard(options);
}

/** A class so that a guard per session (the proxy builds one for each) shares its methods. */
class PipelineGuard implements Guard {
  readonly policy: Policy;
  readonly environment: string;
  readonly #impact: ImpactPort | undefined;
  readonly #catalog: CatalogPort;
  readonly #clock: () => Date;
  readonly #analyze: NonNullable<GuardOptions['analyze']>;

  constructor(options: GuardOptions) {
    this.policy = options.policy;
    this.environment = options.environment ?? options.policy.environment;
    this.#impact = options.impact;
    this.#catalog = options.catalog ?? staticCatalog(options.policy);
    this.#clock = options.clock ?? newDate;
    this.#analyze = options.analyze ?? defaultAnalyze;
  }

  async evaluate(input: GuardInput): Promise<GuardResult> {
    const analysis = input.analysis ?? (await this.#analyzeSafely(input.sql));
    const now = this.#clock().toISOString();
    const decisions: Decision[] = [];
    for (const statement of analysis.statements) decisions.push(await this.#decideStatement(statement, analysis.statements.length, input, now));
    return { analysis, decisions, decision: strictest(decisions) };
  }

  decideConnect(actor: Actor, database: string, startupParameters: Readonly<Record<string, string | undefined>>): Promise<Decision> {
    return decideStartup(this, actor, database, startupParameters);
  }

  actor(name: string): Actor | undefined {
    return this.policy.actors.get(name);
  }

  anonymousActor(): Actor {
    return this.policy.anonymous;
  }

  async #decideStatement(statement: StatementAnalysis, count: number, input: GuardInput, now: string): Promise<Decision> {
    try {
      return await this.#gatherAndDecide(statement, count, input, now);
    } catch (error) {
      return pipelineFailure(this.policy, error);
    }
  }

  async #gatherAndDecide(statement: StatementAnalysis, count: number, input: GuardInput, now: string): Promise<Decision> {
    const request: DecisionRequest = {
      actor: input.actor,
      session: input.session,
      statement,
      statementCount: count,
      relations: statement.error ? {} : await this.#catalog.resolve(relationsOf(statement), input.session),
      environment: this.environment,
      now,
      ...(input.parameters ? { parameters: input.parameters } : {}),
    };
    if (this.#impact && !statement.error && this.#wantsImpact(request)) request.impact = await measure(this.#impact, statement, input.session, count);
    return decide(request, this.policy);
  }

  #wantsImpact(request: DecisionRequest): boolean {
    for (const rule of this.policy.rulesFor(request.actor, this.environment)) {
      try {
        if (rule.needsImpact?.(request)) return true;
      } catch {
        return true; // a rule that cannot tell gets the figure; its own check then decides
      }
    }
    return false;
  }

  /** An analyser that throws is an analysis error, decided (and denied) like any other. */
  async #analyzeSafely(sql: string): Promise<Analysis> {
    try {
      return await this.#analyze(sql);
    } catch (error) {
      const failure = { code: 'XX000', message: `internal analyser error: ${error instanceof Error ? error.message : String(error)}` };
      const statement: StatementAnalysis = { index: 0, sql, start: 0, end: sql.length, kind: 'unknown', readOnly: 'unknown', effects: [], parameterCount: 0, tags: {}, fingerprint: '', error: failure };
      return { statements: [statement], error: failure };
    }
  }
}

const newDate = (): Date => new Date();

async function measure(impact: ImpactPort, statement: StatementAnalysis, session: SessionContext, statements: number): Promise<ImpactFigure> {
  try {
    return await impact.measure(statement, session, { statements });
  } catch (error) {
    // An unmeasurable write is unknown, never zero: the rules escalate it.
    return { rows: 'unknown', mode: 'estimate', error: error instanceof Error ? error.message : String(error) };
  }
}
