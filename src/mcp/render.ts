/**
 * A query's results for an agent: structured (column names and rows, for programs) and as text
 * (for the model), with the rows framed as untrusted data and every cut stated plainly.
 */
import type { ResultSet, ServerMessage } from './proxy-client.js';
import { refusalOf } from './refusal.js';
import { untrustedBlock } from './untrusted.js';
import { typeName, type JsonValue } from './values.js';

export interface StructuredResult {
  command: string;
  /** Rows the command reported: returned by a SELECT, affected by a write; null when it says none. */
  rowCount: number | null;
  columns: { name: string; type: string }[];
  rows: JsonValue[][];
  /** Set when rows were left out: how many arrived, and who cut them. */
  truncated?: { shown: number; received: number; by: 'mcp-row-cap' };
}

export interface StructuredNotice {
  /** `parapet` when the proxy sent it about a decision (its DETAIL names rules); else the database. */
  by: 'parapet' | 'database';
  rules: string[];
  sqlstate: string;
  message: string;
  hint?: string;
}

export interface Rendered {
  text: string;
  structured: { results: StructuredResult[]; notices: StructuredNotice[] };
}

export function renderResults(sets: readonly ResultSet[], messages: readonly ServerMessage[], maxRows: number): Rendered {
  const results = sets.map((set) => structured(set));
  const notices = messages.map(noticeOf);
  const trusted: string[] = [];
  const data: string[] = [];
  for (const [i, result] of results.entries()) {
    const label = results.length > 1 ? `statement ${i + 1}: ` : '';
    trusted.push(`${label}${summary(result)}`);
    if (result.truncated) {
      trusted.push(
        `${label}only the first ${result.truncated.shown} of ${result.truncated.received} rows are shown (this server returns at most ${maxRows} rows per result); to see others, narrow the query with WHERE, LIMIT/OFFSET or an aggregate`,
      );
    }
    if (result.columns.length > 0) {
      if (results.length > 1) data.push(`-- statement ${i + 1}`);
      data.push(`columns: ${JSON.stringify(result.columns.map((c) => c.name))}`);
      for (const row of result.rows) data.push(JSON.stringify(row));
    }
  }
  trusted.push(...parapetNoticeLines(messages));
  for (const notice of notices) {
    if (notice.by === 'database') data.push(`${notice.sqlstate ? `notice ${notice.sqlstate}` : 'notice'}: ${notice.message}${notice.hint ? ` (hint: ${notice.hint})` : ''}`);
  }
  const text = data.length > 0 ? `${trusted.join('\n')}\n${untrustedBlock(data.join('\n'))}` : trusted.join('\n');
  return { text, structured: { results, notices } };
}

/** The proxy's own notices about a decision (a capped result…), as lines in Parapet's words. */
export function parapetNoticeLines(messages: readonly ServerMessage[]): string[] {
  return messages
    .map(noticeOf)
    .filter((n) => n.by === 'parapet')
    .map((n) => `parapet notice (rules: ${n.rules.join(', ')}): ${n.message}${n.hint ? `\nhint: ${n.hint}` : ''}`);
}

function structured(set: ResultSet): StructuredResult {
  const result: StructuredResult = {
    command: set.command,
    rowCount: set.rowCount,
    columns: set.columns.map((c) => ({ name: c.name, type: typeName(c.typeOid) })),
    rows: set.rows,
  };
  if (set.received > set.rows.length) result.truncated = { shown: set.rows.length, received: set.received, by: 'mcp-row-cap' };
  return result;
}

function summary(result: StructuredResult): string {
  const command = result.command || 'empty statement';
  if (result.columns.length > 0) {
    const n = result.truncated?.received ?? result.rows.length;
    return `${command}: ${n} row${n === 1 ? '' : 's'}`;
  }
  return result.rowCount === null ? `${command}: done` : `${command}: ${result.rowCount} row${result.rowCount === 1 ? '' : 's'} affected`;
}

function noticeOf(message: ServerMessage): StructuredNotice {
  const refusal = refusalOf(message);
  return {
    by: refusal.by,
    rules: refusal.rules,
    sqlstate: message.sqlstate,
    message: message.message,
    ...(message.hint ? { hint: message.hint } : {}),
  };
}
