/**
 * Statement text as the audit keeps it. Redaction works on the tokens of PostgreSQL's own lexer
 * (libpg-query's `scanSync`), never on regular expressions over the text:
 *
 * - `literals` (the default): every constant token (string, number, bit string …) becomes `$n`,
 *   numbered after the statement's own parameters. Unlike `normalizeSync`, this reaches constants
 *   in utility statements too (`ALTER SERVER … OPTIONS (password '…')`, `COPY … FROM 'file'`), and
 *   it works on text that does not parse.
 * - `none`: the text is kept, except credentials — the string after the keyword `PASSWORD`
 *   (CREATE/ALTER ROLE/USER, user-mapping and server OPTIONS), after `CONNECTION` (subscriptions)
 *   and every string argument of the dblink connection functions.
 *
 * Text the lexer cannot read whole (an unterminated quote or comment) is replaced by a placeholder.
 * Requires `await loadModule()` from libpg-query first (openAudit does it).
 */
import { scanSync, type ScanToken } from 'libpg-query';
import type { Redaction } from './record.js';

/** Token types of libpg-query's scanner (PostgreSQL's gram.h) that are constants. */
const TOKEN = { IDENT: 258, FCONST: 260, SCONST: 261, USCONST: 262, BCONST: 263, XCONST: 264, ICONST: 266, PARAM: 267 } as const;
const CONSTANTS = new Set<number>([TOKEN.FCONST, TOKEN.SCONST, TOKEN.USCONST, TOKEN.BCONST, TOKEN.XCONST, TOKEN.ICONST]);
const STRINGS = new Set<number>([TOKEN.SCONST, TOKEN.USCONST]);

/** Keywords whose following string is a secret. */
const SECRET_KEYWORDS = new Set(['password', 'connection']);
/** Functions whose string arguments hold connection strings (and so possibly passwords). */
const CONNECTION_FUNCTIONS = new Set(['dblink', 'dblink_connect', 'dblink_connect_u', 'dblink_exec']);

export const REDACTED = "'[redacted]'";

/** Recently redacted texts: prepared statements and ORMs send the same text again and again. */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 1024;
const CACHE_TEXT_LENGTH = 4096;

export function redactStatement(sql: string, mode: Redaction): string {
  if (!mayHoldConstant(sql)) return sql;
  const key = `${mode}\u0000${sql}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = replaceTokens(sql, mode === 'literals' ? literalSpans : secretSpans) ?? unreadable(sql);
  if (sql.length <= CACHE_TEXT_LENGTH) {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, out);
  }
  return out;
}

/**
 * Every constant token of PostgreSQL's lexer holds a quote (strings, bit strings, E'', U&''), a
 * dollar sign (dollar quoting) or a digit (numbers): text without any of them has nothing to redact.
 */
function mayHoldConstant(sql: string): boolean {
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 || c === 0x24 || (c >= 0x30 && c <= 0x39)) return true;
  }
  return false;
}

function unreadable(sql: string): string {
  return `/* unreadable statement redacted: ${sql.length} characters */`;
}

interface Span {
  start: number;
  end: number;
  text: string;
}

/** PostgreSQL's whitespace (scan.l `space`): what may lie between tokens. */
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0c, 0x0b]);

/** Replaces token spans (UTF-8 byte offsets, as the scanner reports them); undefined when the scanner fails. */
function replaceTokens(sql: string, choose: (tokens: ScanToken[]) => Span[]): string | undefined {
  let tokens: ScanToken[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return undefined;
  }
  const bytes = Buffer.from(sql, 'utf8');
  if (!coversText(bytes, tokens)) return undefined;
  const spans = choose(tokens);
  if (spans.length === 0) return sql;
  const parts: string[] = [];
  let at = 0;
  for (const span of spans) {
    parts.push(bytes.subarray(at, span.start).toString('utf8'), span.text);
    at = span.end;
  }
  parts.push(bytes.subarray(at).toString('utf8'));
  return parts.join('');
}

/** Whether the tokens account for every non-space byte (a lexer that stopped early must not leak the rest). */
function coversText(bytes: Buffer, tokens: ScanToken[]): boolean {
  let at = 0;
  for (const t of tokens) {
    if (t.start < at) return false;
    for (let i = at; i < t.start; i++) if (!SPACE.has(bytes[i]!)) return false;
    at = t.end;
  }
  for (let i = at; i < bytes.length; i++) if (!SPACE.has(bytes[i]!)) return false;
  return true;
}

/** Every constant becomes `$n`, numbered after the statement's own highest parameter. */
function literalSpans(tokens: ScanToken[]): Span[] {
  let n = 0;
  for (const t of tokens) if (t.tokenType === TOKEN.PARAM) n = Math.max(n, Number(t.text.slice(1)) || 0);
  return tokens.filter((t) => CONSTANTS.has(t.tokenType)).map((t) => ({ start: t.start, end: t.end, text: `$${++n}` }));
}

function secretSpans(tokens: ScanToken[]): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const word = t.text.toLowerCase();
    if (t.keywordKind > 0 && SECRET_KEYWORDS.has(word)) {
      // PASSWORD 'x', and the string continuation form PASSWORD 'x' 'y'.
      for (let j = i + 1; j < tokens.length && STRINGS.has(tokens[j]!.tokenType); j++) spans.push(redacted(tokens[j]!));
    } else if (t.tokenType === TOKEN.IDENT && CONNECTION_FUNCTIONS.has(word) && tokens[i + 1]?.text === '(') {
      let depth = 0;
      for (let j = i + 1; j < tokens.length; j++) {
        const u = tokens[j]!;
        if (u.text === '(') depth++;
        else if (u.text === ')' && --depth === 0) break;
        else if (STRINGS.has(u.tokenType)) spans.push(redacted(u));
      }
    }
  }
  return dedupe(spans);
}

function redacted(t: ScanToken): Span {
  return { start: t.start, end: t.end, text: REDACTED };
}

function dedupe(spans: Span[]): Span[] {
  const seen = new Map(spans.map((s) => [s.start, s]));
  return [...seen.values()].sort((a, b) => a.start - b.start);
}
