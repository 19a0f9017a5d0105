/**
 * TEMPORARY: the analysis cache freezes statements whose `fingerprint` is a lazy getter that
 * redefines itself on first read, which throws on a frozen object. Until src/sql fixes that, the
 * proxy's guard analyses through this wrapper, which hands out statements with the fingerprint
 * already computed. Remove once `analyze(text).statements[0].fingerprint` reads without throwing.
 */
import { analyze, initParser } from '../sql/index.js';
import { fingerprint } from '../sql/parser.js';
import type { Analysis, StatementAnalysis } from '../sql/types.js';

export async function analyzeWithFingerprints(text: string): Promise<Analysis> {
  await initParser();
  const analysis = analyze(text);
  return { ...analysis, statements: analysis.statements.map(readable) };
}

function readable(statement: StatementAnalysis): StatementAnalysis {
  try {
    void statement.fingerprint;
    return statement;
  } catch {
    const copy = {} as Record<string, unknown>;
    for (const key of Object.keys(statement)) if (key !== 'fingerprint') copy[key] = (statement as unknown as Record<string, unknown>)[key];
    copy.fingerprint = fingerprint(statement.sql);
    return copy as unknown as StatementAnalysis;
  }
}
