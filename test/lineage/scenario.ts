/**
 * Builds audit records the way the proxy records them (decision → outcome → transaction end), for
 * lineage tests: through a real trail, or as plain records for the pure tracker.
 */
import type { AuditActor, AuditInput, AuditRecord, WrittenTable } from '../../src/audit/record.js';

export const ALICE: AuditActor = { name: 'alice', kind: 'human', groups: ['staff'] };
export const ETL: AuditActor = { name: 'etl', kind: 'pipeline', groups: ['pipelines'] };

export interface Step {
  sql: string;
  kind: string;
  read?: string[];
  written?: WrittenTable[];
  action?: 'allow' | 'deny' | 'review';
  rules?: string[];
  message?: string;
  tags?: Record<string, string>;
  /** Outcome: a command tag with rows, or an error. Absent for denied statements. */
  tag?: string;
  rows?: number;
  error?: { sqlstate: string; message: string };
}

/** Records a session's statements; `end` records the transaction end like the proxy's transactionEnd. */
export class Session {
  readonly records: AuditRecord[] = [];
  constructor(
    readonly id: string,
    readonly actor: AuditActor,
    private readonly sink: (input: AuditInput) => Promise<{ seq: number }>,
  ) {}

  async run(step: Step): Promise<number> {
    const { seq } = await this.sink({
      kind: 'decision',
      session: this.id,
      door: 'proxy',
      actor: this.actor,
      database: 'shop',
      clientAddress: '10.0.0.7',
      applicationName: 'psql',
      statementIndex: 0,
      statement: step.sql,
      fingerprint: 'f',
      statementKind: step.kind,
      readOnly: (step.written ?? []).length === 0,
      action: step.action ?? 'allow',
      rules: step.rules ?? [],
      message: step.message ?? 'allowed',
      tags: step.tags ?? {},
      read: step.read ?? [],
      written: step.written ?? [],
    });
    if ((step.action ?? 'allow') === 'allow') {
      await this.sink({
        kind: 'outcome',
        session: this.id,
        decision: seq,
        ...(step.tag ? { commandTag: step.tag } : {}),
        ...(step.rows !== undefined ? { rows: step.rows } : {}),
        ...(step.error ? { error: step.error } : {}),
        durationMs: 1,
      });
    }
    return seq;
  }

  end(end: 'commit' | 'rollback'): Promise<{ seq: number }> {
    return this.sink({ kind: 'transaction', session: this.id, end });
  }

  disconnect(): Promise<{ seq: number }> {
    return this.sink({ kind: 'session', event: 'disconnect', session: this.id, door: 'proxy', actor: this.actor });
  }
}

/** A sink that makes records in memory (seq, time and instance filled), for the pure tracker. */
export function memorySink(records: AuditRecord[], start = Date.parse('2026-03-01T10:00:00.000Z')): (input: AuditInput) => Promise<{ seq: number }> {
  return async (input) => {
    const seq = records.length + 1;
    const base = { time: new Date(start + seq * 1000).toISOString(), instance: 'test', ...input };
    const body = base.kind === 'decision' ? { ...base, redaction: 'none' } : base;
    records.push({ ...body, seq, prev: '', hash: `h${seq}` } as AuditRecord);
    return { seq };
  };
}

export const INSERT_SUMMARY: Step = {
  sql: "/* reason='nightly rollup', run_id='r-42' */ insert into public.order_totals (customer_id, total) select o.customer_id, sum(o.amount) from orders o group by o.customer_id",
  kind: 'insert',
  read: ['orders'],
  written: [{ table: 'public.order_totals', operation: 'insert', columns: ['customer_id', 'total'] }],
  tags: { reason: 'nightly rollup', run_id: 'r-42' },
  tag: 'INSERT 0 12',
  rows: 12,
};
