/**
 * The analyser's YAML cases (test/sql/cases/*.yaml): SQL text → expected statements. Other test
 * suites reuse them (the policy tests replay every `threat: true` case expecting an agent denied).
 *
 * A case:
 *   name: what it shows            sql: the text
 *   threat: true                   when it is one of DESIGN.md's threat classes
 *   kind / readOnly / effects / absent / limit / tags / parameterCount / error
 *                                  expectations for a text of exactly one statement, or
 *   statements: [ {…}, … ]        the same, per statement, for a text of several.
 * `effects` are partial effects that must each match some effect; `absent` lists effect types (or
 * partial effects) that must match none.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface StatementExpectation {
  kind?: string;
  readOnly?: boolean | 'unknown';
  effects?: Record<string, unknown>[];
  absent?: (string | Record<string, unknown>)[];
  limit?: number | string;
  tags?: Record<string, string>;
  parameterCount?: number;
  sql?: string;
  error?: { code: string; position?: number };
}

export interface AnalyzerCase extends StatementExpectation {
  name: string;
  sql: string;
  threat?: boolean;
  statements?: StatementExpectation[];
  /** The YAML file it came from. */
  file: string;
}

/** The repository root, found from this file whether it runs from test/ or dist/test/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the case loader');
    dir = up;
  }
  return dir;
}

export const casesDirectory = join(repoRoot(), 'test', 'sql', 'cases');

export function loadAnalyzerCases(): AnalyzerCase[] {
  const files = readdirSync(casesDirectory).filter((f) => f.endsWith('.yaml')).sort();
  return files.flatMap((file) => {
    const cases = parse(readFileSync(join(casesDirectory, file), 'utf8')) as Omit<AnalyzerCase, 'file'>[];
    return cases.map((c) => ({ ...c, file }));
  });
}
