/**
 * The analyser over every statement of PostgreSQL's regression corpus: nothing throws, every parse
 * tree node type met is classified, and the number of statements that parse never shrinks (the
 * baseline is test/sql/corpus-baseline.json; PARAPET_UPDATE_BASELINE=1 rewrites it when it grows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModule, parseSync } from 'libpg-query';
import { analyze, classifiedNodeTypes, initParser } from '../../src/sql/index.js';
import { Utf8Offsets } from '../../src/sql/text-offsets.js';
import { corpusFiles, readCorpusFile, splitPsqlScript, type ScriptUnit } from '../support/corpus.js';

interface Baseline {
  units: number;
  parsedStatements: number;
}

/** The baseline lives in the source tree, whether this runs from test/sql (tsx) or dist/test/sql. */
function baselinePath(): string {
  return fileURLToPath(new URL('corpus-baseline.json', import.meta.url)).replace(`${sep}dist${sep}test${sep}`, `${sep}test${sep}`);
}

interface RawStmt {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

function parse(sql: string): RawStmt[] | undefined {
  try {
    return parseSync(sql).stmts as RawStmt[];
  } catch {
    return undefined;
  }
}

/** Every node type in a libpg-query JSON tree: the capitalised keys that wrap an object. */
function collectNodeTypes(value: unknown, into: Map<string, number>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectNodeTypes(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (child && typeof child === 'object' && !Array.isArray(child) && /^[A-Z]/.test(key)) into.set(key, (into.get(key) ?? 0) + 1);
      collectNodeTypes(child, into);
    }
  }
}

const files = corpusFiles();

test('the psql splitter cuts where the parser does, in every file that parses whole', async (t) => {
  if (files.length === 0) return t.skip('corpus not found (../shared/corpus/postgres-regress)');
  await loadModule();
  let whole = 0;
  const disagreements: string[] = [];
  for (const file of files) {
    const units = splitPsqlScript(readCorpusFile(file));
    // Units joined back into one script, each ended by a semicolon (a \gset unit has none).
    let joined = '';
    const spans: { unit: ScriptUnit; start: number; end: number }[] = [];
    for (const unit of units) {
      const start = joined.length;
      joined += unit.text.endsWith(';') ? unit.text : `${unit.text};`;
      spans.push({ unit, start, end: joined.length });
      joined += '\n';
    }
    const stmts = parse(joined);
    if (!stmts) continue;
    whole++;
    const offsets = new Utf8Offsets(joined);
    const owner = (offset: number) => spans.find((s) => s.start <= offset && offset < s.end);
    const covered = new Set<ScriptUnit>();
    for (const stmt of stmts) {
      const start = offsets.charIndex(stmt.stmt_location ?? 0);
      const end = stmt.stmt_len ? offsets.charIndex((stmt.stmt_location ?? 0) + stmt.stmt_len) : joined.length;
      const text = joined.slice(start, end);
      const first = start + (text.length - text.trimStart().length);
      const last = start + text.trimEnd().length - 1;
      const a = owner(first);
      const b = owner(last);
      if (!a || a !== b) disagreements.push(`${file.name}:${a?.unit.line ?? '?'}: a parsed statement spans units: ${JSON.stringify(text.slice(0, 120))}`);
      if (a) covered.add(a.unit);
    }
    for (const unit of units) if (!covered.has(unit)) disagreements.push(`${file.name}:${unit.line}: unit holds no statement: ${JSON.stringify(unit.text.slice(0, 120))}`);
  }
  t.diagnostic(`${whole} of ${files.length} files parse whole once split`);
  assert.ok(whole > files.length / 2, 'most files should parse whole once split');
  assert.deepEqual(disagreements, []);
});

test('the analyser describes every corpus statement: no throw, no unclassified node type, parse count kept', async (t) => {
  if (files.length === 0) return t.skip('corpus not found (../shared/corpus/postgres-regress)');
  await Promise.all([initParser(), loadModule()]);
  const known = classifiedNodeTypes();
  const unclassified = new Map<string, string>();
  const thrown: string[] = [];
  let units = 0;
  let parsedStatements = 0;
  let failedStatements = 0;
  for (const file of files) {
    for (const unit of splitPsqlScript(readCorpusFile(file))) {
      units++;
      const where = `${file.name}:${unit.line}`;
      try {
        const analysis = analyze(unit.text);
        for (const statement of analysis.statements) {
          if (statement.error) failedStatements++;
          else parsedStatements++;
        }
      } catch (error) {
        thrown.push(`${where}: ${(error as Error).message}`);
      }
      const stmts = parse(unit.text);
      if (!stmts) continue;
      const types = new Map<string, number>();
      collectNodeTypes(stmts, types);
      for (const type of types.keys()) if (!known.has(type) && !unclassified.has(type)) unclassified.set(type, where);
    }
  }
  t.diagnostic(`${units} units, ${parsedStatements} statements parse, ${failedStatements} do not`);
  assert.deepEqual(thrown, [], 'analyze threw');
  assert.deepEqual(
    [...unclassified].map(([type, where]) => `${type} (first at ${where})`),
    [],
    'node types the analyser does not classify',
  );

  const path = baselinePath();
  const baseline = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  if (process.env.PARAPET_UPDATE_BASELINE && parsedStatements >= baseline.parsedStatements) {
    writeFileSync(path, `${JSON.stringify({ units, parsedStatements } satisfies Baseline, null, 2)}\n`);
  }
  assert.ok(
    parsedStatements >= baseline.parsedStatements,
    `statements that parse fell from ${baseline.parsedStatements} to ${parsedStatements}`,
  );
  if (parsedStatements > baseline.parsedStatements) {
    t.diagnostic(`more statements parse than the baseline (${baseline.parsedStatements}): PARAPET_UPDATE_BASELINE=1 records it`);
  }
});
