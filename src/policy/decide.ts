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
interface Contribution extends DecisionReason {
  sqlstate?: string;
  obligations?: Obligations;
  grants: boolean;
  /** Standing obligations of a rule in scope: not a match, so not listed among the reasons. */
  standing?: true;
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
      const text = `rule \`${rule.id}\` failed: ${errorText(error)}`;
      errors.push(text);
      contributions.push({
        rule: rule.id,
        action: policy.fail,
        message: `rule \`${rule.id}\` could not be evaluated, so the statement is ${policy.fail === 'deny' ? 'denied' : 'held for review'} (fail closed)`,
        hint: 'the cause is in the decision’s errors; fix the policy or the request it cannot judge',
        grants: false,
      });
    }
  }
  return outcome(request, policy, contributions, errors);
}

function runBuiltin(rule: CompiledRule, request: DecisionRequest, into: Contribution[]): void {
  const definition = rule.definition!;
  for (const match of definition.check({ request, params: rule.params })) {
    const obligations = match.obligations && rule.obligations ? mergeObligations({ ...match.obligations }, rule.obligations) : (match.obligations ?? rule.obligations);
    into.push({
      rule: rule.id,
      action: match.action ?? rule.action,
      message: rule.message ?? match.message,
      ...hintOf(rule.hint ?? match.hint),
      ...sqlstateOf(match.sqlstate ?? rule.sqlstate),
      ...(obligations ? { obligations } : {}),
      grants: false,
    });
  }
  // Standing obligations hold for every statement in the rule's scope, matched or not.
  const standing = definition.standingObligations?.(rule.params);
  if (standing && hasObligations(standing)) into.push({ rule: rule.id, action: 'allow', message: '', obligations: standing, grants: false, standing: true });
}

function customContribution(rule: CompiledRule): Contribution {
  const verb = { allow: 'allowed', deny: 'denied', review: 'held for review' }[rule.action];
  return {
    rule: rule.id,
    action: rule.action,
    message: rule.message ?? `${verb} by rule \`${rule.id}\``,
    ...hintOf(rule.hint ?? (rule.action === 'review' ? 'a person must approve this statement before it runs' : undefined)),
    ...sqlstateOf(rule.sqlstate),
    ...(rule.obligations ? { obligations: rule.obligations } : {}),
    grants: rule.grants,
  };
}

function outcome(request: DecisionRequest, policy: Policy, contributions: Contribution[], errors: string[]): Decision {
  const reasons: DecisionReason[] = [];
  for (const { rule, action, message, hint, standing } of contributions) if (!standing) reasons.push({ rule, action, message, ...hintOf(hint) });
  const blocking = pick(contributions, 'deny') ?? pick(contributions, 'review');
  if (blocking) return blocked(blocking, reasons, errors);

  const allowing = contributions.filter((c) => c.action === 'allow');
  const baseline = policy.defaults[request.actor.kind];
  if (baseline !== 'allow' && !allowing.some((c) => c.grants)) {
    const actor = `${request.actor.kind} \`${request.actor.name}\``;
    const reason: Contribution =
      baseline === 'deny'
        ? { rule: EngineRule.baseline, action: 'deny', message: `no rule allows this statement for ${actor}`, hint: 'ask a policy owner for a rule that allows it', grants: false }
        : { rule: EngineRule.baseline, action: 'review', message: `statements of ${actor} need approval`, hint: 'a person must approve this statement before it runs', grants: false };
    return blocked([reason], [...reasons, reason], errors);
  }

  const obligations: Obligations = {};
  for (const c of allowing) if (c.obligations) mergeObligations(obligations, c.obligations);
  const readOnly = request.statement.readOnly;
  if (readOnly === true) delete obligations.maxAffectedRows; // nothing to count
  if (obligations.readOnly && readOnly !== true) return readOnlyViolation(policy, readOnly, reasons, errors);

  const rules = unique(allowing.filter((c) => c.grants || c.obligations).map((c) => c.rule));
  return {
    action: 'allow',
    rules: rules.length ? rules : [EngineRule.baseline],
    message: hasObligations(obligations) ? `allowed with obligations (${obligationNames(obligations)})` : 'allowed',
    obligations,
    reasons,
    errors,
    ...(request.impact ? { impact: request.impact } : {}),
  };
}

function blocked(contributions: Contribution[], reasons: DecisionReason[], errors: string[]): Decision {
  const first = contributions[0]!;
  return {
    action: first.action,
    rules: unique(contributions.map((c) => c.rule)),
    message: first.message,
    ...hintOf(first.hint ?? (first.action === 'review' ? 'a person must approve this statement before it runs' : undefined)),
    sqlstate: first.sqlstate ?? DENIED_SQLSTATE,
    obligations: {},
    reasons,
    errors,
  };
}

/** A read-only session obligation on a statement that writes, or may: deny, or fail closed when unknown. */
function readOnlyViolation(policy: Policy, readOnly: false | 'unknown', reasons: DecisionReason[], errors: string[]): Decision {
  const reason: Contribution =
    readOnly === false
      ? { rule: EngineRule.readOnlySession, action: 'deny', message: 'this session is read-only and the statement writes', hint: 'run only statements that read (SELECT, SHOW, EXPLAIN)', grants: false }
      : {
          rule: EngineRule.readOnlySession,
          action: policy.fail,
          message: 'this session is read-only and it cannot be known whether the statement writes',
          hint: 'avoid dynamic SQL and functions whose effects are not known',
          grants: false,
        };
  const allErrors = readOnly === 'unknown' ? [...errors, 'the statement’s read-only state is unknown and the session must be read-only'] : errors;
  return blocked([reason], [...reasons, reason], allErrors);
}

function analysisFailure(error: AnalysisError, policy: Policy): Decision {
  const syntax = error.code === SYNTAX_ERROR;
  const action: Action = syntax ? 'deny' : policy.fail;
  const message = `${syntax ? 'the statement does not parse' : 'the statement could not be analysed'}: ${error.message}`;
  const hint = syntax ? 'fix the syntax error; what cannot be understood is not run' : 'simplify the statement; what cannot be understood is not run';
  const reason: DecisionReason = { rule: EngineRule.analysis, action, message, hint };
  return { action, rules: [EngineRule.analysis], message, hint, sqlstate: action === 'deny' ? error.code : DENIED_SQLSTATE, obligations: {}, reasons: [reason], errors: [message] };
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

function hintOf(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

function sqlstateOf(sqlstate: string | undefined): { sqlstate?: string } {
  return sqlstate === undefined ? {} : { sqlstate };
}

function unique(values: string[]): string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
