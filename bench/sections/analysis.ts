/**
 * Analysis bench: the statement analyser against bare libpg-query parsing, over the regression
 * corpus (every statement that parses) and over pgbench's statements with literals that change on
 * every call. Goals (issue 2): analysis of an unseen statement ≤ 1.5× the bare parse; ≤ 5 µs
 * median for a statement whose shape was seen before.
 */
import { loadModule, parseSync } from 'libpg-query';
import { analysisCacheStats, analyze, analyzeUncached, initParser } from '../../src/sql/index.js';
import { shapeKey } from '../../src/sql/shape.js';
import { corpusFiles, readCorpusFile, splitPsqlScript } from '../../test/support/corpus.js';
import { timeEach, summarize, type Summary } from '../measure.js';
import { micros, table, type Cell } from '../report.js';
import type { BenchSection } from '../section.js';

/** pgbench's TPC-B-like transaction, one statement template per line; `n` makes every text unique. */
function pgbenchStatements(count: number, offset: number): string[] {
  let seed = 20240501 + offset;
  const random = (max: number) => 1 + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % max);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // 7919 is prime, so aid is unique for the first ten million calls.
    const aid = 1 + (((i + offset * count) * 7919) % 10_000_000);
    const tid = random(100);
    const bid = random(10);
    const delta = random(10_001) - 5001;
    out.push(
      `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
      `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`,
      `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid};`,
      `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid};`,
      `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`,
    );
  }
  return out;
}

function corpusStatements(): string[] {
  const texts: string[] = [];
  for (const file of corpusFiles()) {
    for (const unit of splitPsqlScript(readCorpusFile(file))) {
      try {
        parseSync(unit.text);
        texts.push(unit.text);
      } catch {
        // only statements that parse: the comparison is parse against analysis
      }
    }
  }
  return texts;
}

/** Times `fn` on inputs it has just seen: one untimed call, then the timed one. */
function timeSeen(inputs: readonly string[], fn: (input: string) => unknown): Summary {
  const samples = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    fn(inputs[i]!);
    const started = process.hrtime.bigint();
    fn(inputs[i]!);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return summarize(samples);
}

const parse = (sql: string) => parseSync(sql);

function row(workload: string, measure: string, s: Summary, parse?: Summary): Cell[] {
  return [workload, measure, s.calls, micros(s.median), micros(s.p99), parse ? `${(s.median / parse.median).toFixed(2)}×` : ''];
}

export async function runAnalysisBench(): Promise<void> {
  await Promise.all([initParser(), loadModule()]);
  const rows: Cell[][] = [];

  const corpus = corpusStatements();
  if (corpus.length > 0) {
    const bare = timeEach(corpus, parse);
    rows.push(row('regress corpus', 'libpg-query parseSync', bare));
    rows.push(row('regress corpus', 'analyzeUncached (unseen)', timeEach(corpus, analyzeUncached), bare));
    rows.push(row('regress corpus', 'analyze, first sight (cache miss or shape hit)', timeEach(corpus, analyze, []), bare));
    rows.push(row('regress corpus', 'analyze, text seen before', timeSeen(corpus, analyze), bare));
    rows.push(row('regress corpus', 'shapeKey alone', timeEach(corpus, shapeKey), bare));
  }

  const perTemplate = 20_000;
  const bare = timeEach(pgbenchStatements(perTemplate, 1), parse, pgbenchStatements(400, 0));
  rows.push(row('pgbench', 'libpg-query parseSync', bare));
  rows.push(row('pgbench', 'analyzeUncached (unseen)', timeEach(pgbenchStatements(perTemplate, 2), analyzeUncached, pgbenchStatements(400, 0)), bare));
  // One text of each shape seen, then new literals on every call.
  analyze(pgbenchStatements(1, 3).join('\n'));
  for (const text of pgbenchStatements(1, 3)) analyze(text);
  const before = analysisCacheStats();
  const shaped = timeEach(pgbenchStatements(perTemplate, 4), analyze, []);
  const after = analysisCacheStats();
  rows.push(row('pgbench', 'analyze, new literals (shape seen)', shaped, bare));
  rows.push(row('pgbench', 'analyze, text seen before', timeSeen(pgbenchStatements(2_000, 5), analyze), bare));
  rows.push(row('pgbench', 'shapeKey alone', timeEach(pgbenchStatements(perTemplate, 6), shapeKey), bare));

  console.log(table(['workload', 'measure', 'calls', 'median µs', 'p99 µs', 'median / parse'], rows));
  const shapeHits = after.shapeHits - before.shapeHits;
  const misses = after.misses - before.misses;
  console.log(`\npgbench with new literals: ${shapeHits} shape hits, ${misses} misses (of ${shaped.calls} calls)`);
}

export const analysisSection: BenchSection = {
  name: 'analysis',
  summary: 'analyse statements against bare parsing (µs per statement)',
  run: runAnalysisBench,
};
