/**
 * Statement text as the audit keeps it. Redaction works on libpg-query's own lexer and
 * normaliser, never on regular expressions over the text:
 *
 * - `literals` (the default): `normalizeSync` replaces every constant with `$n`. Text that does
 *   not parse is redacted token by token with the scanner; text the scanner cannot read either is
 *   replaced whole by a placeholder.
 * - `none`: the text is kept, except credentials — the string after the keyword `PASSWORD`
 *   (CREATE/ALTER ROLE/USER, user-mapping and server OPTIONS), after `CONNECTION` (subscriptions)
 *   and every string argument of the dblink connection functions.
 *
 * Requires `await loadModule()` from libpg-query first (openAudit does it).
 */
import { normalizeSync, scanSync, type ScanToken } from 'libpg-query';
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

export function redactStatement(sql: string, mode: Redaction): string {
  if (mode === 'literals') {
    try {
      return normalizeSync(sql);
    } catch {
      return replaceTokens(sql, (tokens) => literalSpans(tokens)) ?? unreadable(sql);
    }
  }
  return replaceTokens(sql, secretSpans) ?? unreadable(sql);
}

function unreadable(sql: string): string {
  return `/* unreadable statement redacted: ${sql.length} characters */`;
}

interface Span {
  start: number;
  end: number;
  text: string;
}

/** Replaces token spans (UTF-8 byte offsets, as the scanner reports them); undefined when the scanner fails. */
function replaceTokens(sql: string, choose: (tokens: ScanToken[]) => Span[]): string | undefined {
  let tokens: ScanToken[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return undefined;
  }
  const spans = choose(tokens);
  if (spans.length === 0) return sql;
  const bytes = Buffer.from(sql, 'utf8');
  const parts: string[] = [];
  let at = 0;
  for (const span of spans) {
    parts.push(bytes.subarray(at, span.start).toString('utf8'), span.text);
    at = span.end;
  }
  parts.push(bytes.subarray(at).toString('utf8'));
  return parts.join('');
}

/** Every constant becomes `$n`, numbered after the statement's own highest parameter (as normalize does). */
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
