/**
 * The estimated size of a write: `EXPLAIN (FORMAT JSON, VERBOSE)` of the statement, on the client's
 * own session (its search path, role, temporary tables and open transaction) between its messages.
 * Planning can evaluate functions on constants, so the EXPLAIN runs in a read-only transaction (or,
 * inside the client's transaction, a read-only savepoint) that is always rolled back, and its
 * failure never reaches the client's transaction. Statements with `$n` parameters are planned from
 * the bound values (PREPARE + EXPLAIN EXECUTE); without values the figure is unknown.
 */
import { randomBytes } from 'node:crypto';
import type { ImpactFigure, SessionContext } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { LiveCatalog } from '../catalog/live-catalog.js';
import { literal } from '../catalog/sql-text.js';
import type { SimpleQueryResult } from '../upstream/simple-query.js';
import { readExplain, type PlannedWrite } from './explain.js';
import { writeHazards } from './hazards.js';

/** Runs Parapet's own SQL on the client's session, between the client's messages. */
export interface SessionRunner {
  /** One simple Query; rejects when it fails (the server's error in `pgError`). */
  query(sql: string): Promise<SimpleQueryResult>;
}

export interface EstimateDeps {
  runner: SessionRunner;
  catalog: LiveCatalog;
}

export async function estimateWrite(statement: StatementAnalysis, session: SessionContext, deps: EstimateDeps, parameters?: readonly (string | null)[]): Promise<ImpactFigure> {
  const unknown = (error: string): ImpactFigure => ({ rows: 'unknown', mode: 'estimate', error });
  if (session.transaction === 'failed') return unknown('the transaction is aborted, so nothing can be planned');
  if (statement.parameterCount > 0 && (!parameters || parameters.length < statement.parameterCount)) {
    return unknown('the statement has parameters and their values are not known');
  }
  const plan = await explainOnSession(statement, session.transaction === 'in-transaction', deps.runner, parameters);
  if ('error' in plan) return unknown(plan.error);
  return sizeFromPlan(plan.writes, deps.catalog, statement);
}

/** Turns planned writes into a figure: unknown when something the plan cannot show may change rows. */
export async function sizeFromPlan(writes: PlannedWrite[], catalog: LiveCatalog, statement: StatementAnalysis): Promise<ImpactFigure> {
  let snapshot = await catalog.snapshot();
  const targets = new Map<number, number>();
  const hazards: string[] = [];
  for (const write of writes) {
    const key = `${write.schema}.${write.relation}`;
    let oid = snapshot.relationByName.get(key);
    if (oid === undefined) {
      snapshot = await catalog.refresh();
      oid = snapshot.relationByName.get(key);
    }
    const relation = oid === undefined ? undefined : snapshot.relations.get(oid);
    if (!relation) return { rows: 'unknown', mode: 'estimate', error: `the catalog cannot see the target \`${key}\`` };
    const columns = updatedColumns(statement, relation.name);
    hazards.push(...writeHazards(snapshot, { relation, operation: write.operation, ...(columns ? { columns } : {}) }));
    targets.set(relation.oid, (targets.get(relation.oid) ?? 0) + write.rows);
  }
  if (hazards.length) return { rows: 'unknown', mode: 'estimate', error: `rows changed by ${[...new Set(hazards)].join(', ')} are not in the estimate` };
  const rows = [...targets.values()].reduce((a, b) => a + b, 0);
  const [only] = targets.keys();
  const tableRows = targets.size === 1 ? snapshot.relations.get(only!)?.rows : undefined;
  return { rows, mode: 'estimate', ...(tableRows !== undefined ? { tableRows } : {}) };
}

function updatedColumns(statement: StatementAnalysis, table: string): string[] | undefined {
  for (const e of statement.effects) if (e.type === 'write' && e.relation.name === table && e.operation === 'update') return e.columns;
  return undefined;
}

/** EXPLAIN on the session, always rolled back; the plan's writes or why there are none. */
async function explainOnSession(
  statement: StatementAnalysis,
  inTransaction: boolean,
  runner: SessionRunner,
  parameters?: readonly (string | null)[],
): Promise<{ writes: PlannedWrite[] } | { error: string }> {
  const token = randomBytes(6).toString('hex');
  const savepoint = `parapet_plan_${token}`;
  const prepared = `parapet_plan_${token}`;
  const usesParameters = statement.parameterCount > 0;
  let opened = false;
  let preparedOk = false;
  try {
    await runner.query(inTransaction ? `SAVEPOINT ${savepoint}` : 'BEGIN READ ONLY');
    opened = true;
    if (inTransaction) await runner.query('SET LOCAL transaction_read_only = on');
    let explained: string;
    if (usesParameters) {
      await runner.query(`PREPARE ${prepared} AS ${statement.sql}`);
      preparedOk = true;
      const values = parameters!.slice(0, statement.parameterCount).map((v) => (v === null ? 'NULL' : literal(v)));
      explained = `EXECUTE ${prepared}(${values.join(', ')})`;
    } else explained = statement.sql;
    const result = await runner.query(`EXPLAIN (FORMAT JSON, VERBOSE) ${explained}`);
    const json = result.rows[0]?.[0];
    return json ? readExplain(json) : { error: 'EXPLAIN returned no plan' };
  } catch (error) {
    return { error: `EXPLAIN failed: ${(error as Error).message}` };
  } finally {
    // Always undone, so neither the plan nor its failure touches the client's transaction.
    if (opened) await runner.query(inTransaction ? `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` : 'ROLLBACK').catch(() => {});
    if (preparedOk) await runner.query(`DEALLOCATE ${prepared}`).catch(() => {});
  }
}
