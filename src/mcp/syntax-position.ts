/** Where a statement stops parsing, found with the same analyser the proxy uses (1-based character). */
import { analyze, initParser } from '../sql/index.js';

export async function syntaxErrorPosition(sql: string): Promise<number | undefined> {
  await initParser();
  const analysis = analyze(sql);
  return analysis.error?.position ?? analysis.statements.find((s) => s.error?.position !== undefined)?.error?.position;
}
