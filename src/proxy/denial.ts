/**
 * How a refusal reaches the client: a decision becomes an ErrorResponse with the decision's SQLSTATE,
 * message, the rule ids in DETAIL and the hint. The proxy's own refusals (an unknown prepared
 * statement, a FunctionCall, an audit store that cannot write…) are decisions too, with `proxy.*`
 * rule ids, so they read, log and audit like any other.
 */
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { Decision } from '../policy/types.js';

/** Rule ids of the proxy's own refusals. */
export const ProxyRule = {
  unknownPrepared: 'proxy.unknown-prepared-statement',
  functionCall: 'proxy.function-call',
  auditUnavailable: 'proxy.audit-unavailable',
  cancelled: 'proxy.cancelled',
  sensitiveParameter: 'proxy.sensitive-parameter',
  pinnedSetting: 'proxy.pinned-setting',
  unreadableStatement: 'proxy.unreadable-statement',
  review: 'proxy.review-unavailable',
  resultCapNotLast: 'proxy.result-cap-not-last',
  resultCapPipelined: 'proxy.result-cap-pipelined',
} as const;

/** A deny decision made by the proxy itself. */
export function proxyDenial(rule: string, message: string, options: { hint?: string; sqlstate?: string } = {}): Decision {
  return {
    action: 'deny',
    rules: [rule],
    message,
    ...(options.hint ? { hint: options.hint } : {}),
    sqlstate: options.sqlstate ?? '42501',
    obligations: {},
    reasons: [{ rule, action: 'deny', message, ...(options.hint ? { hint: options.hint } : {}) }],
    errors: [],
  };
}

const REVIEW_HINT = 'this statement needs a person’s approval; approvals are not available yet, so ask an administrator to run it or to change the policy';

/**
 * What a `review` decision means until approvals exist: a denial that says approval is needed.
 */
export function reviewAsDenial(decision: Decision): Decision {
  return {
    ...decision,
    action: 'deny',
    hint: decision.hint ? `${decision.hint}; ${REVIEW_HINT}` : REVIEW_HINT,
  };
}

/**
 * The ErrorResponse fields for a refused statement. DETAIL reads `parapet rules: a, b`, with
 * ` (held for review)` when the policy asked for a person's approval rather than a plain deny.
 */
export function denialFields(decision: Decision, review = false): PgErrorFields {
  const fields: PgErrorFields = {
    severity: 'ERROR',
    code: decision.sqlstate ?? '42501',
    message: decision.message || 'statement denied by parapet',
  };
  if (decision.rules.length > 0) fields.detail = `parapet rules: ${decision.rules.join(', ')}${review ? ' (held for review)' : ''}`;
  if (decision.hint) fields.hint = decision.hint;
  if (decision.position !== undefined) fields.position = String(decision.position);
  return fields;
}

/** PostgreSQL's own wording for a statement cancelled on request (57014). */
export const CANCELLED: PgErrorFields = { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' };
