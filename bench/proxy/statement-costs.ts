/**
 * `node dist/bench/proxy/statement-costs.js`: what each stage of the proxy's per-statement path
 * costs, in-process and one call at a time, for pgbench's statements with a new literal on every
 * call (as pgbench sends them) — the analysis, the guard's decision, the session's checks, building
 * and encoding the audit record, sealing it, and committing it to SQLite. Complements the pgbench
 * figures of `npm run bench:proxy`: these say where a statement's time goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from 'libpg-query';
import { decisionInput } from '../../src/audit/decision-input.js';
import { chainKey, encodeBody, sealTexts } from '../../src/audit/chain.js';
import { redactStatement } from '../../src/audit/redact.js';
import type { RecordBody } from '../../src/audit/record.js';
import { SqliteAuditDb } from '../../src/audit/sqlite-db.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { createGuard } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import type { SessionContext } from '../../src/policy/types.js';
import { Decider } from '../../src/proxy/decider.js';
import { analyze, initParser } from '../../src/sql/index.js';
import { summarize, type Summary } from '../measure.js';
import { micros, table, type Cell } from '../report.js';
import { BENCH_ACTOR, benchPolicy, repoRoot } from './parapet.js';

const CALLS = 20_000;

/** pgbench's statements with fresh literals: select-only, and the TPC-B-like script. */
function pgbenchTexts(n: number): { select: string[]; tpcb: string[] } {
  const select: string[] = [];
  const tpcb: string[] = [];
  for (let i = 0; i < n; i++) {
    const aid = 1 + ((i * 7919) % 1_000_000);
    const delta = ((i * 31) % 10_001) - 5000;
    select.push(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`);
    tpcb.push(
      [
        'BEGIN;',
        `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`,
        `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
        `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${1 + (i % 100)};`,
        `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${1 + (i % 10)};`,
        `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${1 + (i % 100)}, ${1 + (i % 10)}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`,
        'END;',
      ][i % 7]!,
    );
  }
  return { select, tpcb };
}

async function timeAsync<T>(inputs: readonly T[], fn: (input: T) => Promise<unknown>): Promise<Summary> {
  for (const input of inputs.slice(0, 2000)) await fn(input);
  const samples = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const started = process.hrtime.bigint();
    await fn(inputs[i]!);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return summarize(samples);
}

function timeSync<T>(inputs: readonly T[], fn: (input: T) => unknown): Summary {
  for (const input of inputs.slice(0, 2000)) fn(input);
  const samples = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const started = process.hrtime.bigint();
    fn(inputs[i]!);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return summarize(samples);
}

export async function runStatementCosts(): Promise<Cell[][]> {
  await initParser();
  await loadModule();
  const loaded = loadPolicy(benchPolicy(repoRoot()), { file: 'bench-policy.yaml' });
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
  const guard = createGuard({ policy: loaded.policy });
  const actor = guard.actor(BENCH_ACTOR)!;
  const session: SessionContext = { clientAddress: '127.0.0.1:40000', database: 'bench', door: 'proxy', transaction: 'idle' };
  const decider = new Decider({ guard, actor, readOnlySession: false, lookupPrepared: () => undefined });
  const rows: Cell[][] = [];
  const add = (workload: string, stage: string, s: Summary) => rows.push([workload, stage, micros(s.median), micros(s.mean), micros(s.p99)]);

  const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-costs-'));
  try {
    for (const [workload, texts] of Object.entries(pgbenchTexts(CALLS + 2000))) {
      add(workload, 'analyze (shape cache)', timeSync(texts, (t) => analyze(t)));
      add(workload, 'guard.evaluate', await timeAsync(texts, (t) => guard.evaluate({ sql: t, actor, session })));
      add(workload, 'decider.judge (guard + session checks)', await timeAsync(texts, (t) => decider.judge(t, session)));
      const judged = await Promise.all(texts.map((t) => decider.judge(t, session)));
      const inputs = judged.map((j) => decisionInput({ session: 's1', door: 'proxy', actor, context: session, statement: j.statements[0]!.analysis, decision: j.statements[0]!.decision }));
      add(workload, 'audit: decisionInput', timeSync(judged, (j) => decisionInput({ session: 's1', door: 'proxy', actor, context: session, statement: j.statements[0]!.analysis, decision: j.statements[0]!.decision })));
      add(workload, 'audit: redact (literals)', timeSync(texts, (t) => redactStatement(t, 'literals')));
      const time = new Date().toISOString();
      const bodies = inputs.map((i) => ({ ...i, time, instance: 'bench', redaction: 'literals', statement: redactStatement((i as { statement: string }).statement, 'literals') }) as RecordBody);
      add(workload, 'audit: canonical encoding', timeSync(bodies, (b) => encodeBody(b)));
      const encoded = bodies.map(encodeBody);
      const key = chainKey(undefined);
      add(workload, 'audit: SHA-256 seal', timeSync(encoded, (e) => sealTexts(key, [e.text], { seq: 1, hash: '0'.repeat(64) })));

      const db = new SqliteAuditDb({ path: join(dir, `${workload}-main.db`), synchronous: 'normal' });
      db.initialise(key, { time, instance: 'bench' });
      add(workload, 'sqlite commit on this thread, 1 record', timeSync(encoded, (e) => db.append(key, [e])));
      const eights = Array.from({ length: Math.floor(encoded.length / 8) }, (_, i) => encoded.slice(i * 8, i * 8 + 8));
      const perEight = timeSync(eights, (batch) => db.append(key, batch));
      add(workload, 'sqlite commit on this thread, 8 records (per record)', { ...perEight, median: perEight.median / 8, mean: perEight.mean / 8, p99: perEight.p99 / 8 });
      db.close();

      const store = await SqliteAuditStore.open({ path: join(dir, `${workload}-worker.db`), synchronous: 'normal', instance: 'bench' });
      add(workload, 'sqlite commit via the writer thread, 1 record', await timeAsync(bodies, (b) => store.append([b])));
      const bodyEights = Array.from({ length: Math.floor(bodies.length / 8) }, (_, i) => bodies.slice(i * 8, i * 8 + 8));
      const workerEight = await timeAsync(bodyEights, (batch) => store.append(batch));
      add(workload, 'sqlite commit via the writer thread, 8 records (per record)', { ...workerEight, median: workerEight.median / 8, mean: workerEight.mean / 8, p99: workerEight.p99 / 8 });
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runStatementCosts();
  console.log(table(['workload', 'stage', 'median µs', 'mean µs', 'p99 µs'], rows));
}
