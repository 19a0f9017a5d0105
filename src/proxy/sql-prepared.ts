/**
 * SQL-level prepared statements: PREPARE's body, EXECUTE's name and arguments, DEALLOCATE and
 * DISCARD ALL, read from the parse tree. Prepared statements of SQL and of the protocol share one
 * namespace in PostgreSQL (a Bind can name a statement made by PREPARE), so the proxy keeps both in
 * one registry and decides EXECUTE (and Bind) on the prepared body.
 */
import { parseSql, type AstNode } from '../sql/parser.js';

/** What a statement does to the session's prepared statements. */
export type PreparedChange =
  | { op: 'prepare'; name: string; body: string }
  | { op: 'deallocate'; name: string }
  | { op: 'deallocate-all' };

/** An EXECUTE found in a statement (also inside EXPLAIN and CREATE TABLE AS). */
export interface ExecuteCall {
  name: string;
  /** Constant arguments as text (null for NULL); `undefined` where an argument is an expression. */
  parameters: (string | null | undefined)[];
}

function single(sql: string): AstNode | undefined {
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.value.length !== 1) return undefined;
  return parsed.value[0]!.stmt;
}

/** The prepared-statement change a single statement makes (DISCARD ALL counts as deallocate-all). */
export function preparedChange(sql: string): PreparedChange | undefined {
  const stmt = single(sql);
  if (!stmt) return undefined;
  if ('PrepareStmt' in stmt) {
    const name = (stmt.PrepareStmt as { name?: string }).name ?? '';
    const body = prepareBodyText(sql);
    return body === undefined ? undefined : { op: 'prepare', name, body };
  }
  if ('DeallocateStmt' in stmt) {
    const node = stmt.DeallocateStmt as { name?: string; isall?: boolean };
    return node.isall || node.name === undefined ? { op: 'deallocate-all' } : { op: 'deallocate', name: node.name };
  }
  if ('DiscardStmt' in stmt && (stmt.DiscardStmt as { target?: string }).target === 'DISCARD_ALL') return { op: 'deallocate-all' };
  return undefined;
}

/** The EXECUTE inside a single statement, if any. */
export function findExecute(sql: string): ExecuteCall | undefined {
  const stmt = single(sql);
  const node = stmt && findNode(stmt, 'ExecuteStmt', 4);
  if (!node) return undefined;
  const { name, params } = node as { name?: string; params?: AstNode[] };
  return { name: name ?? '', parameters: (params ?? []).map(constantText) };
}

function findNode(node: unknown, type: string, depth: number): unknown {
  if (depth < 0 || node === null || typeof node !== 'object') return undefined;
  const record = node as Record<string, unknown>;
  if (type in record) return record[type];
  for (const value of Object.values(record)) {
    const found = findNode(value, type, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The text of a constant argument (`1`, `'a'`, `'a'::text`, `-5`, `true`, NULL); undefined otherwise. */
function constantText(node: AstNode): string | null | undefined {
  if ('TypeCast' in node) return constantText((node.TypeCast as { arg: AstNode }).arg);
  if (!('A_Const' in node)) return undefined;
  const c = node.A_Const as Record<string, Record<string, unknown> | boolean | undefined>;
  if (c.isnull) return null;
  if (c.ival) return String((c.ival as { ival?: number }).ival ?? 0);
  if (c.fval) return String((c.fval as { fval?: string }).fval ?? '0');
  if (c.sval) return String((c.sval as { sval?: string }).sval ?? '');
  if (c.bsval) return String((c.bsval as { bsval?: string }).bsval ?? '');
  if (c.boolval) return (c.boolval as { boolval?: boolean }).boolval ? 'true' : 'false';
  return undefined;
}

/**
 * The body of `PREPARE name [(type, …)] AS body`, sliced from the original text. Before AS only
 * the name, a parenthesised type list, whitespace and comments can appear, so a small scanner is
 * exact here; the body must itself parse as one statement.
 */
export function prepareBodyText(sql: string): string | undefined {
  let i = 0;
  let depth = 0;
  let words = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) i++;
    else if (sql.startsWith('--', i)) i = nextLine(sql, i);
    else if (sql.startsWith('/*', i)) i = endOfComment(sql, i);
    else if (ch === '"') i = endOfQuoted(sql, i);
    else if (ch === '(') (depth++, i++);
    else if (ch === ')') (depth--, i++);
    else if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      words++;
      if (depth === 0 && words > 1 && sql.slice(start, i).toLowerCase() === 'as') {
        const body = sql.slice(i).trim();
        return single(body) ? body : undefined;
      }
    } else i++;
  }
  return undefined;
}

function nextLine(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end === -1 ? sql.length : end + 1;
}

function endOfComment(sql: string, i: number): number {
  let nesting = 0;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) (nesting++, (i += 2));
    else if (sql.startsWith('*/', i)) {
      i += 2;
      if (--nesting === 0) return i;
    } else i++;
  }
  return i;
}

function endOfQuoted(sql: string, i: number): number {
  i++;
  while (i < sql.length) {
    if (sql[i] === '"') {
      if (sql[i + 1] === '"') i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}
