/**
 * `decide(request, policy)`: the one decision every door makes. Pure and deterministic (time comes
 * in the request). Precedence: deny beats review beats allow; allowed statements carry the
 * strictest combination of every obligation that applies; when no rule decides, the actor kind's
 * baseline applies. Fail closed: a rule that throws, a condition that cannot be evaluated, or an
 * analysis error yields the policy's `fail` action (deny unless it says review), with the error.
 */
import type { AnalysisError } from '../sql/types.js';
import { RequestContext } from './cel.js';
import { hasObligations, mergeObligations } from './obligations.js';
import { EngineRule, type CompiledRule, type Policy } from './policy.js';
import type { Action, Decision, DecisionReason, DecisionRequest, Obligations } from './types.js';

/** SQLSTATE insufficient_privilege: the default for denials. */
export const DENIED_SQLSTATE = '42501';
/** SQLSTATE syntax_error: a statement that does not parse is rejected like PostgreSQL would. */
const SYNTAX_ERROR = '42601';

/** One rule's contribution, before precedence picks the outcome. */
interface Contribution {
  rule: string;
  action: Action;
  message: string;
  hint: string | undefined;
  sqlstate: string | undefined;
  obligations: Obligations | undefined;
  grants: boolean;
  /** Standing obligations of a rule in scope: not a match, so not listed among the reasons. */
  standing: boolean;
}

function contribution(rule: string, action: Action, message: string, hint?: string, sqlstate?: string, obligations?: Obligations, grants = false, standing = false): Contribution {
  return { rule, action, message, hint, sqlstate, obligations, grants, standing };
}

export function decide(request: DecisionRequest, policy: Policy): Decision {
  const statement = request.statement;
  if (statement.error) return analysisFailure(statement.error, policy);

  const contributions: Contribution[] = [];
  const errors: string[] = [];
  let context: RequestContext | undefined;
  for (const rule of policy.rulesFor(request.actor, request.environment)) {
    try {
      if (rule.when) {
        const hit = rule.when((context ??= new RequestContext(request)));
        if (hit === false) continue;
        if (hit !== true) throw new Error(`the condition gave ${typeof hit === 'object' ? 'a non-bool value' : `\`${String(hit)}\``}, not a bool`);
      }
      if (rule.definition) runBuiltin(rule, request, contributions);
      else contributions.push(customContribution(rule));
    } catch (error) {
      errors.push(`rule \`${rule.id}\` failed: ${errorText(error)}`);
      contributions.push(
        contribution(
          rule.id,
          policy.fail,
          `rule \`${rule.id}\` could not be evaluated, so the statement is ${policy.fail === 'deny' ? 'denied' : 'held for review'} (fail closed)`,
          'the cause is in the decision’s errors; fix the policy or the request it cannot judge',
        ),
      );
    }
  }
  return outcome(request, policy, contributions, errors);
}

function runBuiltin(rule: CompiledRule, request: DecisionRequest, into: Contribution[]): void {
  for (const match of rule.definition!.check({ request, params: rule.params })) {
    const obligations = match.obligations && rule.obligations ? mergeObligations({ ...match.obligations }, rule.obligations) : (match.obligations ?? rule.obligations);
    into.push(contribution(rule.id, match.action ?? rule.action, rule.message ?? match.message, rule.hint ?? match.hint, match.sqlstate ?? rule.sqlstate, obligations));
  }
  // Standing obligations hold for every statement in the rule's scope, matched or not.
  if (rule.standing) into.push(contribution(rule.id, 'allow', '', undefined, undefined, rule.standing, false, true));
}

function customContribution(rule: CompiledRule): Contribution {
  const verb = VERBS[rule.action];
  const hint = rule.hint ?? (rule.action === 'review' ? REVIEW_HINT : undefined);
  return contribution(rule.id, rule.action, rule.message ?? `${verb} by rule \`${rule.id}\``, hint, rule.sqlstate, rule.obligations, rule.grants);
}

const VERBS: Record<Action, string> = { allow: 'allowed', deny: 'denied', review: 'held for review' };
const REVIEW_HINT = 'a person must approve this statement before it runs';

/** The decision, carrying the impact figure it was made with (allow or not: the audit shows what was measured). */
function outcome(request: DecisionRequest, policy: Policy, contributions: Contribution[], errors: string[]): Decision {
  const decision = judged(request, policy, contributions, errors);
  return request.impact ? { ...decision, impact: request.impact } : decision;
}

function judged(request: DecisionRequest, policy: Policy, contributions: Contribution[], errors: string[]): Decision {
  const reasons: DecisionReason[] = [];
  for (const c of contributions) if (!c.standing) reasons.push(reasonOf(c));
  const blocking = pick(contributions, 'deny') ?? pick(contributions, 'review');
  if (blocking) return blocked(blocking, reasons, errors);

  const allowing = contributions.filter((c) => c.action === 'allow');
  const baseline = policy.defaults[request.actor.kind];
  if (baseline !== 'allow' && !allowing.some((c) => c.grants)) {
    const actor = `${request.actor.kind} \`${request.actor.name}\``;
    const reason =
      baseline === 'deny'
        ? contribution(EngineRule.baseline, 'deny', `no rule allows this statement for ${actor}`, 'ask a policy owner for a rule that allows it')
        : contribution(EngineRule.baseline, 'review', `statements of ${actor} need approval`, REVIEW_HINT);
    return blocked([reason], [...reasons, reasonOf(reason)], errors);
  }

  const readOnly = request.statement.readOnly;
  const obligations: Obligations = {};
  const rules: string[] = [];
  for (const c of allowing) {
    const own = c.obligations && applicable(c.obligations, readOnly);
    if (own) mergeObligations(obligations, own);
    if (c.grants || own) rules.push(c.rule);
  }
  if (obligations.readOnly && readOnly === 'unknown') return unknownInReadOnlySession(policy, reasons, errors);

  return {
    action: 'allow',
    rules: rules.length ? unique(rules) : [EngineRule.baseline],
    message: hasObligations(obligations) ? `allowed with obligations (${obligationNames(obligations)})` : 'allowed',
    obligations,
    reasons,
    errors,
  };
}

/** The obligations that mean something for this statement (an affected-row limit does not for a read); undefined when none. */
function applicable(obligations: Obligations, readOnly: DecisionRequest['statement']['readOnly']): Obligations | undefined {
  if (readOnly !== true || !obligations.maxAffectedRows) return hasObligations(obligations) ? obligations : undefined;
  const { maxAffectedRows: _nothingToCount, ...rest } = obligations;
  return hasObligations(rest) ? rest : undefined;
}

function blocked(contributions: Contribution[], reasons: DecisionReason[], errors: string[]): Decision {
  const first = contributions[0]!;
  return {
    action: first.action,
    rules: unique(contributions.map((c) => c.rule)),
    message: first.message,
    ...hintOf(first.hint ?? (first.action === 'review' ? REVIEW_HINT : undefined)),
    sqlstate: first.sqlstate ?? DENIED_SQLSTATE,
    obligations: {},
    reasons,
    errors,
  };
}

/**
 * A read-only session obligation on a statement whose effects cannot be known: a read-only
 * transaction stops writes, not everything (network calls, locks, signals), so fail closed. Which
 * known statements a read-only actor may run is the rules' call (the `read-only` rule).
 */
function unknownInReadOnlySession(policy: Policy, reasons: DecisionReason[], errors: string[]): Decision {
  const reason = contribution(
    EngineRule.readOnlySession,
    policy.fail,
    'this session is read-only and it cannot be known what the statement does',
    'avoid dynamic SQL and functions whose effects are not known',
  );
  return blocked([reason], [...reasons, reasonOf(reason)], [...errors, 'the statement’s read-only state is unknown and the session must be read-only']);
}

function analysisFailure(error: AnalysisError, policy: Policy): Decision {
  const syntax = error.code === SYNTAX_ERROR;
  const action: Action = syntax ? 'deny' : policy.fail;
  const message = `${syntax ? 'the statement does not parse' : 'the statement could not be analysed'}: ${error.message}`;
  const hint = syntax ? 'fix the syntax error; what cannot be understood is not run' : 'simplify the statement; what cannot be understood is not run';
  const reason: DecisionReason = { rule: EngineRule.analysis, action, message, hint };
  return {
    action,
    rules: [EngineRule.analysis],
    message,
    hint,
    sqlstate: action === 'deny' ? error.code : DENIED_SQLSTATE,
    obligations: {},
    reasons: [reason],
    errors: [message],
    ...(error.position !== undefined ? { position: error.position } : {}),
  };
}

/** A decision when the pipeline around `decide` failed: fail closed, with the error. */
export function pipelineFailure(policy: Policy, error: unknown): Decision {
  const text = errorText(error);
  const message = `the statement could not be judged: ${text}`;
  const hint = 'retry; if it persists, the catalog or the policy needs fixing';
  const reason: DecisionReason = { rule: EngineRule.pipeline, action: policy.fail, message, hint };
  return { action: policy.fail, rules: [EngineRule.pipeline], message, hint, sqlstate: DENIED_SQLSTATE, obligations: {}, reasons: [reason], errors: [message] };
}

function pick(contributions: Contribution[], action: Action): Contribution[] | undefined {
  const found = contributions.filter((c) => c.action === action);
  return found.length ? found : undefined;
}

function obligationNames(o: Obligations): string {
  const names: string[] = [];
  if (o.mask?.length) names.push('mask');
  if (o.maxResultRows) names.push(`at most ${o.maxResultRows.rows} rows`);
  if (o.maxAffectedRows) names.push('affected-row limit');
  if (o.readOnly) names.push('read-only');
  if (o.requireReason) names.push('reason required');
  return names.join(', ');
}

function reasonOf(c: Contribution): DecisionReason {
  return c.hint === undefined ? { rule: c.rule, action: c.action, message: c.message } : { rule: c.rule, action: c.action, message: c.message, hint: c.hint };
}

function hintOf(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}


function unique(values: string[]): string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
