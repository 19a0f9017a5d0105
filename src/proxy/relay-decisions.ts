/**
 * How the relay decides a client message: the judgement, then its decision records made durable in
 * the audit trail before a byte of the message is forwarded; and the proxy's own refusals of
 * messages it will not decide on their SQL.
 */
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { SessionContext } from '../policy/types.js';
import { pseudoStatement } from './bound-values.js';
import type { Judgement } from './decider.js';
import { CANCELLED, ProxyRule, denialFields, proxyDenial } from './denial.js';
import type { RelayOptions } from './relay.js';

/** A decided message: the audit records' sequence numbers, and the error the client gets when refused. */
export interface Outcome {
  judgement: Judgement;
  seqs: number[];
  refusal?: PgErrorFields;
}

/** A decision in progress; a CancelRequest meanwhile marks it, and it ends refused as cancelled. */
export interface Held {
  cancelled: boolean;
}

/** Runs `judge`, then records its decisions. An audit store that cannot write turns the message into a refusal. */
export async function decideDurably(
  o: Pick<RelayOptions, 'audit' | 'actor' | 'log'>,
  context: SessionContext,
  judge: () => Promise<Judgement>,
  held: Held,
  parameters?: (string | null)[],
): Promise<Outcome> {
  const judgement = await judge();
  let seqs: number[] = [];
  try {
    seqs = await o.audit.decisions(o.actor, context, judgement.statements, parameters);
  } catch (error) {
    o.log.error(`audit: cannot record a decision, refusing the statement: ${(error as Error).message}`);
    const decision = proxyDenial(ProxyRule.auditUnavailable, 'the audit trail cannot record this statement, so it was not run', {
      hint: 'try again later; an administrator must check the audit store',
      sqlstate: '58030',
    });
    return { judgement, seqs, refusal: denialFields(decision) };
  }
  if (held.cancelled) return { judgement, seqs, refusal: CANCELLED };
  return judgement.refusal ? { judgement, seqs, refusal: judgement.refusal.error } : { judgement, seqs };
}

/** A judgement that refuses the message. */
export type Refusal = Judgement & { refusal: NonNullable<Judgement['refusal']> };

/** A refusal of the proxy's own; `standIn` is the comment the audit trail records for the message. */
export function proxyRefusal(rule: string, message: string, hint: string, standIn: string): Refusal {
  const decision = proxyDenial(rule, message, { hint });
  return { statements: [{ analysis: pseudoStatement(standIn), decision }], refusal: { decision, error: denialFields(decision) } };
}

/** A Bind of a statement Parapet never saw parsed. */
export function unknownPrepared(name: string): Refusal {
  return proxyRefusal(ProxyRule.unknownPrepared, `prepared statement \`${name}\` is not known to parapet`, 'send Parse for it in this session before Bind', `-- Bind of unknown statement ${name}`);
}

/** A FunctionCall message that cannot be decided as SQL. */
export function functionCallRefused(oid: number): Refusal {
  return proxyRefusal(ProxyRule.functionCall, `the FunctionCall message (function oid ${oid}) is not allowed through parapet`, 'call the function from SQL: SELECT f(…)', `-- FunctionCall message: function oid ${oid}`);
}

/**
 * A message behind an Execute whose result cap may end it with an error Parapet makes (the server
 * would run on): refused, so the server skips to Sync as the client does (docs/guards.md, hook point 5).
 */
export function behindCap(): Refusal {
  return proxyRefusal(ProxyRule.resultCapPipelined, 'a message after the Execute of a statement with a result-row limit must wait for its Sync', 'send Sync after the Execute of a capped statement', '-- message after a capped Execute in one Sync segment');
}
