/**
 * A session's side of the audit trail: one helper bound to the session id, actor and connection
 * facts, so the relay only says what happened. Decision records are awaited (they must be durable
 * before anything is forwarded); outcome, transaction and session records are not, but a failure to
 * write them is logged.
 */
import { decisionInput } from '../audit/decision-input.js';
import type { AuditInput } from '../audit/index.js';
import { transactionEnd, type Segment } from '../audit/transaction.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { Actor, Decision, SessionContext } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { AuditPort, ProxyLog } from './ports.js';

export interface SessionFacts {
  session: string;
  clientAddress?: string;
  applicationName?: string;
  database?: string;
}

export class SessionAudit {
  constructor(
    private readonly audit: AuditPort,
    private readonly facts: SessionFacts,
    private readonly log: ProxyLog,
  ) {}

  #common() {
    const { session, clientAddress, applicationName, database } = this.facts;
    return {
      session,
      door: 'proxy' as const,
      ...(clientAddress !== undefined ? { clientAddress } : {}),
      ...(applicationName !== undefined ? { applicationName } : {}),
      ...(database !== undefined ? { database } : {}),
    };
  }

  /** Records the decisions of one message; resolves with their seqs once durable, rejects when the store cannot write. */
  async decisions(
    actor: Actor,
    context: SessionContext,
    statements: ReadonlyArray<{ analysis: StatementAnalysis; decision: Decision }>,
    parameters?: (string | null)[],
  ): Promise<number[]> {
    const records = statements.map(({ analysis, decision }) =>
      this.audit.record(
        decisionInput({
          session: this.facts.session,
          door: 'proxy',
          actor,
          context,
          statement: analysis,
          decision,
          ...(parameters ? { parameters } : {}),
        }),
      ),
    );
    return (await Promise.all(records)).map((r) => r.seq);
  }

  outcome(decision: number, result: { commandTag?: string; error?: PgErrorFields; started: number }): void {
    const rows = rowsOf(result.commandTag);
    this.#fireAndLog({
      kind: 'outcome',
      session: this.facts.session,
      decision,
      ...(result.commandTag !== undefined ? { commandTag: result.commandTag } : {}),
      ...(rows !== undefined ? { rows } : {}),
      ...(result.error ? { error: { sqlstate: result.error.code, message: result.error.message } } : {}),
      durationMs: Math.max(0, performance.now() - result.started),
    });
  }

  /** Called at every ReadyForQuery with what ran since the previous one. */
  segmentEnded(segment: Segment): void {
    const end = transactionEnd(segment);
    if (end) this.#fireAndLog({ kind: 'transaction', session: this.facts.session, end });
  }

  sessionEvent(event: 'connect' | 'auth-failure' | 'disconnect', details: { actor?: Actor; user?: string; reason?: string } = {}): Promise<unknown> {
    const input: AuditInput = {
      kind: 'session',
      event,
      ...this.#common(),
      ...(details.actor ? { actor: { name: details.actor.name, kind: details.actor.kind, groups: [...details.actor.groups] } } : {}),
      ...(details.user !== undefined ? { user: details.user } : {}),
      ...(details.reason !== undefined ? { reason: details.reason } : {}),
    };
    return this.audit.record(input);
  }

  #fireAndLog(input: AuditInput): void {
    this.audit.record(input).catch((error: unknown) => {
      this.log.error(`audit: cannot record ${input.kind} of session ${this.facts.session}: ${(error as Error).message}`);
    });
  }
}

/** Rows from a command tag: the last number of `INSERT 0 5`, `UPDATE 3`, `SELECT 10`, `COPY 4`… */
export function rowsOf(tag: string | undefined): number | undefined {
  const match = tag && /\s(\d+)$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}
