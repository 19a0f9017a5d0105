/**
 * A session's side of the audit trail: one helper bound to the session id, actor and connection
 * facts, so the relay only says what happened. Decision records are awaited (they must be durable
 * before anything is forwarded); outcome, transaction and session records are not, but a failure to
 * write them is logged.
 *
 * An outcome is held until the end of the upstream read it came in: when that read also carries the
 * ReadyForQuery that ends the transaction (the usual case, and always in autocommit), the end goes
 * into the outcome (`end: commit|rollback`) instead of a record of its own. A `transaction` record
 * is written only when the status change arrives in a later read.
 */
import { decisionInput } from '../audit/decision-input.js';
import type { AuditInput } from '../audit/index.js';
import type { OutcomeBody } from '../audit/record.js';
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

type OutcomeInput = Omit<OutcomeBody, 'time' | 'instance'>;

export class SessionAudit {
  /** The outcome waiting for the end of its read (see above). */
  #held: OutcomeInput | undefined;

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
    this.readEnded();
    // Assignment, not spreads: this runs for every statement.
    const input: OutcomeInput = { kind: 'outcome', session: this.facts.session, decision, durationMs: Math.max(0, performance.now() - result.started) };
    if (result.commandTag !== undefined) {
      input.commandTag = result.commandTag;
      const rows = rowsOf(result.commandTag);
      if (rows !== undefined) input.rows = rows;
    }
    if (result.error) input.error = { sqlstate: result.error.code, message: result.error.message };
    this.#held = input;
  }

  /** Called at every ReadyForQuery with what ran since the previous one. */
  segmentEnded(segment: Segment): void {
    const end = transactionEnd(segment);
    const held = this.#held;
    if (held && end) held.end = end;
    if (held) this.readEnded();
    else if (end) this.#fireAndLog({ kind: 'transaction', session: this.facts.session, end });
  }

  /** The relay handled every frame of an upstream read: a held outcome is recorded as it is. */
  readEnded(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    this.#fireAndLog(held);
  }

  sessionEvent(event: 'connect' | 'auth-failure' | 'disconnect', details: { actor?: Actor; user?: string; reason?: string } = {}): Promise<unknown> {
    this.readEnded();
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
