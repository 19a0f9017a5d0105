/**
 * Statement text as the audit keeps it. Redaction works on the tokens of the analyser's lexer
 * (src/sql/lexer.ts, which splits text exactly where PostgreSQL's scanner does and is checked
 * against libpg-query's `scanSync` over the regression corpus) — never on regular expressions:
 *
 * - `literals` (the default): every constant token (string, number, bit string …) becomes `$n`,
 *   numbered after the statement's own parameters. Unlike libpg-query's `normalizeSync`, this
 *   reaches constants in utility statements too (`ALTER SERVER … OPTIONS (password '…')`,
 *   `COPY … FROM 'file'`), and it works on text that does not parse.
 * - `none`: the text is kept, except credentials — the string after the keyword `PASSWORD`
 *   (CREATE/ALTER ROLE/USER, user-mapping and server OPTIONS), after `CONNECTION` (subscriptions)
 *   and every string argument of the dblink connection functions.
 *
 * Text the lexer cannot read whole (an unterminated quote or comment) is replaced by a placeholder.
 */
import { lex, type Token, type TokenKind } from '../sql/lexer.js';
import type { Redaction } from './record.js';

const CONSTANTS = new Set<TokenKind>(['integer', 'float', 'string', 'escape-string', 'unicode-string', 'bit-string', 'hex-string']);
const STRINGS = new Set<TokenKind>(['string', 'escape-string', 'unicode-string']);

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
  const out = redactUncached(sql, mode);
  if (sql.length <= CACHE_TEXT_LENGTH) {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, out);
  }
  return out;
}

/**
 * Every constant token holds a quote (strings, bit strings, E'', U&''), a dollar sign (dollar
 * quoting) or a digit (numbers): text without any of them has nothing to redact.
 */
function mayHoldConstant(sql: string): boolean {
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 || c === 0x24 || (c >= 0x30 && c <= 0x39)) return true;
  }
  return false;
}

function redactUncached(sql: string, mode: Redaction): string {
  const lexed = lex(sql);
  if (lexed.error) return `/* unreadable statement redacted: ${sql.length} characters */`;
  const spans = mode === 'literals' ? literalSpans(sql, lexed.tokens) : secretSpans(sql, lexed.tokens);
  if (spans.length === 0) return sql;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += sql.slice(at, span.start) + span.text;
    at = span.end;
  }
  return out + sql.slice(at);
}

interface Span {
  start: number;
  end: number;
  text: string;
}

/** Every constant becomes `$n`, numbered after the statement's own highest parameter. */
function literalSpans(sql: string, tokens: Token[]): Span[] {
  let n = 0;
  for (const t of tokens) if (t.kind === 'parameter') n = Math.max(n, Number(sql.slice(t.start + 1, t.end)) || 0);
  return tokens.filter((t) => CONSTANTS.has(t.kind)).map((t) => ({ start: t.start, end: t.end, text: `$${++n}` }));
}

function secretSpans(sql: string, tokens: Token[]): Span[] {
  const spans = new Map<number, Span>();
  const redact = (t: Token): void => void spans.set(t.start, { start: t.start, end: t.end, text: REDACTED });
  const word = (t: Token): string => sql.slice(t.start, t.end).toLowerCase();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'keyword' && SECRET_KEYWORDS.has(word(t))) {
      // PASSWORD 'x', and the string continuation form PASSWORD 'x' 'y'.
      for (let j = i + 1; j < tokens.length && STRINGS.has(tokens[j]!.kind); j++) redact(tokens[j]!);
    } else if (t.kind === 'identifier' && CONNECTION_FUNCTIONS.has(word(t)) && word(tokens[i + 1] ?? t) === '(') {
      let depth = 0;
      for (let j = i + 1; j < tokens.length; j++) {
        const u = tokens[j]!;
        const text = word(u);
        if (text === '(') depth++;
        else if (text === ')' && --depth === 0) break;
        else if (STRINGS.has(u.kind)) redact(u);
      }
    }
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}
