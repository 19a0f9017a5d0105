/**
 * `check`: what the proxy would decide for this actor, without running anything. It runs the same
 * guard (same code, same policy) and the proxy's own `Decider`, in a fresh session as the proxy
 * would open it for the MCP server: the connect decision first, a read-only session when the
 * policy's standing obligation asks for one (as `src/proxy/session.ts` works it out), idle, no
 * prepared statements, the MCP server's application_name, and the live guards every proxy session
 * has (masking and result caps are enforced).
 */
import { strictest } from '../policy/combine.js';
import type { Action, Decision, Obligations, SessionContext } from '../policy/types.js';
import { GUARDED_CAPABILITIES } from '../proxy/catalog-guards.js';
import { Decider } from '../proxy/decider.js';
import { reviewAsDenial } from '../proxy/denial.js';
import type { GuardPort } from '../proxy/ports.js';

export interface CheckRequest {
  actor: string;
  sql: string;
  params?: readonly (string | null)[];
  database: string;
  applicationName: string;
  /** The `options` startup parameter the MCP server's sessions send, if any. */
  options?: string;
}

/** One statement of the text, as decided. */
export interface CheckedStatement {
  index: number;
  kind: string;
  action: Action;
  rules: string[];
  message: string;
}

export interface CheckResult {
  /** What the proxy would do: `review` is refused until approvals exist, with a hint saying so. */
  action: Action;
  rules: string[];
  message: string;
  hint?: string;
  /** SQLSTATE the refusal would carry. */
  sqlstate?: string;
  /** What an allow comes with (masked columns, row caps, read-only…). */
  obligations: Obligations;
  statements: CheckedStatement[];
  /** Where a statement that does not parse goes wrong (1-based character). */
  position?: number;
  /** The connection itself would be refused (database not allowed, startup settings). */
  atConnect?: boolean;
}

export type CheckOutcome = { ok: true; result: CheckResult } | { ok: false; message: string; hint: string };

export async function checkStatement(guard: GuardPort, request: CheckRequest): Promise<CheckOutcome> {
  const actor = guard.actor(request.actor);
  if (!actor) {
    return { ok: false, message: `actor \`${request.actor}\` is not in the policy this server has`, hint: 'the operator must give parapet mcp the policy the proxy runs (--policy)' };
  }
  const startup: Record<string, string> = request.options !== undefined ? { options: request.options } : {};
  const connect = await guard.decideConnect(actor, request.database, startup);
  if (connect.action !== 'allow') return { ok: true, result: { ...refused(connect, 'deny'), statements: [], atConnect: true } };

  const session: SessionContext = { applicationName: request.applicationName, database: request.database, door: 'proxy', transaction: 'idle' };
  const readOnly = connect.obligations.readOnly === true || (await guard.evaluate({ sql: 'SELECT 1', actor, session })).decision.obligations.readOnly === true;
  const decider = new Decider({ guard, actor, readOnlySession: readOnly, lookupPrepared: () => undefined, capabilities: GUARDED_CAPABILITIES });
  const params = request.params ?? [];
  const bound = params.length > 0 ? { values: [...params], binary: params.map(() => false) } : undefined;
  const judgement = await decider.judge(request.sql, session, bound);

  const statements: CheckedStatement[] = judgement.statements.map(({ analysis, decision }) => ({
    index: analysis.index,
    kind: analysis.kind,
    action: decision.action,
    rules: decision.rules,
    message: decision.message,
  }));
  const whole = strictest(judgement.statements.map((s) => s.decision));
  const error = judgement.statements.find((s) => s.analysis.error?.position !== undefined)?.analysis.error;
  const result: CheckResult =
    whole.action === 'allow'
      ? { action: 'allow', rules: whole.rules, message: whole.message, obligations: whole.obligations, statements }
      : { ...refused(judgement.refusal?.decision ?? whole, whole.action), statements };
  if (error?.position !== undefined) result.position = error.position;
  return { ok: true, result };
}

function refused(decision: Decision, action: Action = decision.action): Omit<CheckResult, 'statements'> {
  const final = action === 'review' && decision.action === 'review' ? reviewAsDenial(decision) : decision;
  return {
    action,
    rules: final.rules,
    message: final.message,
    ...(final.hint ? { hint: final.hint } : {}),
    sqlstate: final.sqlstate ?? '42501',
    obligations: {},
  };
}
