/**
 * The differential read-only oracle: PostgreSQL itself judges the analyser's `readOnly: true`.
 * The regression corpus is replayed file by file on a throwaway cluster (never the shared server:
 * the scripts create roles and other global objects); every unit the analyser calls read-only runs
 * inside a read-only transaction and must not fail with 25006.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, initParser, type Analysis } from '../../src/sql/index.js';
import { corpusFiles, type CorpusFile } from '../support/corpus.js';
import { replayCorpus, type Verdict } from '../support/corpus-replay.js';
import { canStartCluster, startThrowawayCluster } from '../support/throwaway-cluster.js';

const SETTINGS = {
  statement_timeout: '5s',
  lock_timeout: '2s',
  idle_in_transaction_session_timeout: '60s',
  max_connections: 60,
  log_min_messages: 'fatal',
};

/** Statements that cannot change session state: nothing to redo after the read-only run. */
const PURE_QUERY = new Set(['SelectStmt', 'ExplainStmt', 'VariableShowStmt']);

function verdict(analysis: Analysis): Verdict {
  const statements = analysis.statements;
  const readOnly = !analysis.error && statements.length > 0 && statements.every((s) => s.readOnly === true);
  const rerun = !statements.every((s) => s.node && PURE_QUERY.has(s.node) && !s.effects.some((e) => e.type === 'config' || e.type === 'function'));
  return { readOnly, rerun };
}

function needCluster(t: { skip(message: string): void }): boolean {
  if (canStartCluster()) return true;
  if (process.env.PARAPET_REQUIRE_POSTGRES) throw new Error('PostgreSQL server binaries are required (PARAPET_REQUIRE_POSTGRES) but initdb was not found');
  t.skip('PostgreSQL server binaries (initdb) not found');
  return false;
}

test('the replay harness catches a write that is called read-only', async (t) => {
  if (!needCluster(t)) return;
  await using cluster = await startThrowawayCluster({ settings: SETTINGS });
  const dir = mkdtempSync(join(tmpdir(), 'parapet-oracle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script: CorpusFile = { name: 'harness.sql', path: join(dir, 'harness.sql') };
  writeFileSync(
    script.path,
    ['create table t (a int);', 'insert into t values (1);', 'select * from t;', 'begin;', 'select 1;', 'update t set a = 2;', 'commit;', 'set search_path = public;'].join('\n'),
  );
  // A judge that calls everything but CREATE TABLE read-only: the INSERT and UPDATE must be caught,
  // the UPDATE inside the script's own transaction too.
  const report = await replayCorpus({
    url: cluster.url,
    files: [script],
    judge: (sql) => ({ readOnly: !sql.startsWith('create'), rerun: !sql.startsWith('select') }),
  });
  assert.deepEqual(
    report.violations.map((v) => v.sql),
    ['insert into t values (1);', 'update t set a = 2;'],
  );
  assert.equal(report.files[0]?.checked, 7);
});

test('no statement the analyser calls read-only fails with 25006 in a read-only transaction', async (t) => {
  const files = corpusFiles();
  if (files.length === 0) return t.skip('corpus not found (../shared/corpus/postgres-regress)');
  if (!needCluster(t)) return;
  await initParser();
  await using cluster = await startThrowawayCluster({ settings: SETTINGS });
  const setup = files.find((f) => f.name === 'postgres_regress/test_setup.sql');
  const started = performance.now();
  const report = await replayCorpus({
    url: cluster.url,
    files,
    setup,
    concurrency: 6,
    judge: (sql) => verdict(analyze(sql)),
  });
  const units = report.files.reduce((n, f) => n + f.units, 0);
  const checked = report.files.reduce((n, f) => n + f.checked, 0);
  const slowest = [...report.files].sort((a, b) => b.ms - a.ms).slice(0, 3);
  t.diagnostic(`${report.files.length} files, ${units} units, ${checked} run read-only, in ${Math.round((performance.now() - started) / 1000)} s`);
  t.diagnostic(`slowest: ${slowest.map((f) => `${f.file} ${Math.round(f.ms)} ms`).join(', ')}`);
  assert.deepEqual(
    report.violations.map((v) => `${v.file}:${v.line}: ${v.message}\n    ${v.sql.replaceAll('\n', '\n    ')}`),
    [],
    'statements called read-only that the server refused in a read-only transaction',
  );
});
