/**
 * Decides what a client asks to run, through the guard: a simple Query's whole text, or a Bind's
 * prepared statement with its bound values. On top of the guard's decisions it adds what only a
 * session knows: an EXECUTE is decided on the prepared body it runs (with constant arguments as
 * bound values), an unknown prepared name is refused, a `review` is refused until approvals exist,
 * and an allow whose obligations the proxy cannot honour yet (masking, result caps) is refused
 * (`unenforceable-obligation`).
 */
import type { PgErrorFields } from '../protocol/pg-error.js';
import { enforceCapabilities, strictest, type DoorCapabilities } from '../policy/combine.js';
import type { Actor, Decision, SessionContext } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import { ProxyRule, denialFields, proxyDenial, reviewAsDenial } from './denial.js';
import type { GuardPort } from './ports.js';
import { findExecute, preparedChange, type PreparedChange } from './sql-prepared.js';

/** One statement with its final decision. */
export interface JudgedStatement {
  analysis: StatementAnalysis;
  decision: Decision;
  /** What the statement does to the session's prepared statements, applied once it succeeds. */
  change?: PreparedChange;
}

export interface Judgement {
  statements: JudgedStatement[];
  /** Set when anything is refused: the whole message is then not run. */
  refusal?: { decision: Decision; error: PgErrorFields };
}

/** Bound values: text, or `null` for SQL NULL; `binary[i]` marks values sent in binary (unreadable here). */
export interface BoundValues {
  values: (string | null)[];
  binary: boolean[];
}

export interface DeciderOptions {
  guard: GuardPort;
  actor: Actor;
  /** Whether the upstream session itself is read-only (honours a `readOnly` obligation). */
  readOnlySession: boolean;
  /** The SQL of a prepared statement by name (protocol or SQL-level), if the session has one. */
  lookupPrepared(name: string): string | undefined;
  /** What the session's guards enforce (masking, result caps, exact row counts); absent: those obligations are refused. */
  capabilities?: Pick<DoorCapabilities, 'mask' | 'maxResultRows' | 'maxAffectedRows'>;
}

export class Decider {
  constructor(private readonly options: DeciderOptions) {}

  async judge(sql: string, session: SessionContext, bound?: BoundValues): Promise<Judgement> {
    const { guard, actor } = this.options;
    const result = await guard.evaluate({ sql, actor, session, ...(bound ? { parameters: bound.values } : {}) });
    const statements: JudgedStatement[] = [];
    for (const [i, analysis] of result.analysis.statements.entries()) {
      const judged: JudgedStatement = { analysis, decision: result.decisions[i] ?? result.decision };
      if (judged.decision.action === 'allow') judged.decision = await this.#sessionChecks(judged, session, bound);
      statements.push(judged);
    }
    // The whole message is decided as the guard decides a text: the strictest statement wins and a
    // refusal names the rules of every statement that blocks.
    const fence = bound ? undefined : errorCapBeforeLast(statements);
    if (fence) fence.decision = fence.decision.action === 'allow' ? capFenceDenial() : fence.decision;
    const decision = strictest(statements.map((s) => s.decision));
    if (decision.action === 'allow') return { statements };
    const review = decision.action === 'review';
    const final = review ? reviewAsDenial(decision) : decision;
    return { statements, refusal: { decision: final, error: denialFields(final, review) } };
  }

  /** Checks an allowed statement against what the session knows; returns the decision to apply. */
  async #sessionChecks(judged: JudgedStatement, session: SessionContext, bound: BoundValues | undefined): Promise<Decision> {
    const { analysis } = judged;
    const unreadable = sensitiveParameters(analysis).find((n) => bound?.binary[n - 1]);
    if (unreadable !== undefined) {
      return proxyDenial(ProxyRule.sensitiveParameter, `parameter $${unreadable} decides what the statement does but was sent in binary`, {
        hint: 'send this parameter in text format',
      });
    }
    const prepared = analysis.effects.filter((e) => e.type === 'prepared' && !e.deferred);
    const discards = analysis.effects.some((e) => e.type === 'session' && e.operation === 'discard-all');
    if (prepared.some((e) => e.type === 'prepared' && e.operation === 'execute')) {
      const verdict = await this.#decideExecute(analysis.sql, session);
      if (verdict.action !== 'allow') return verdict;
    }
    if (prepared.length > 0 || discards) {
      const change = preparedChange(analysis.sql);
      const needsChange = prepared.some((e) => e.type === 'prepared' && e.operation !== 'execute') || discards;
      if (needsChange && !change) {
        return proxyDenial(ProxyRule.unreadableStatement, 'parapet cannot read which prepared statement this changes', { hint: 'write the statement in its plain form' });
      }
      if (change) judged.change = change;
    }
    return this.#obligations(judged.decision);
  }

  /** EXECUTE name(args): decided on the body it runs, with constant arguments as its parameters. */
  async #decideExecute(sql: string, session: SessionContext): Promise<Decision> {
    const call = findExecute(sql);
    const body = call && this.options.lookupPrepared(call.name);
    if (!call || body === undefined) {
      const name = call?.name ?? '?';
      return proxyDenial(ProxyRule.unknownPrepared, `prepared statement \`${name}\` is not known to parapet`, {
        hint: 'prepare it in this session (PREPARE or a Parse message) before executing it',
      });
    }
    const values = call.parameters.map((v) => v ?? null);
    const result = await this.options.guard.evaluate({ sql: body, actor: this.options.actor, session, parameters: values });
    const refused = result.decisions.find((d) => d.action !== 'allow') ?? (result.decision.action !== 'allow' ? result.decision : undefined);
    if (refused) return refused;
    for (const statement of result.analysis.statements) {
      const unknown = sensitiveParameters(statement).find((n) => call.parameters[n - 1] === undefined);
      if (unknown !== undefined) {
        return proxyDenial(ProxyRule.sensitiveParameter, `argument ${unknown} of EXECUTE \`${call.name}\` decides what the statement does but is not a constant`, {
          hint: 'pass a constant value',
        });
      }
    }
    return this.#obligations(result.decision);
  }

  /** Refuses an allow whose obligations this proxy cannot carry out yet (masking, result caps, exact row limits). */
  #obligations(decision: Decision): Decision {
    return enforceCapabilities(decision, { readOnly: this.options.readOnlySession, requireReason: true, ...this.options.capabilities });
  }
}

/**
 * A statement whose result cap ends it with an error, followed by more statements in one simple
 * Query: the server would run the rest while the client sees the message fail, so it is refused.
 */
function errorCapBeforeLast(statements: JudgedStatement[]): JudgedStatement | undefined {
  return statements.slice(0, -1).find((s) => s.decision.action === 'allow' && s.decision.obligations.maxResultRows?.onExceed === 'error');
}

function capFenceDenial(): Decision {
  return proxyDenial(ProxyRule.resultCapNotLast, 'a statement with a result-row limit must be the last statement of its query', {
    hint: 'send that statement in a query of its own',
  });
}

/** `$n` numbers in positions where the bound value decides what happens. */
function sensitiveParameters(analysis: StatementAnalysis): number[] {
  return analysis.effects.flatMap((e) => (e.type === 'sensitive-parameter' ? [e.parameter] : []));
}
