/**
 * sqlcommenter tags: `/*key='value',key2='value2'*\/` comments, keys and values URL-encoded, quotes in
 * values escaped with a backslash. Tags are untrusted context (reason, ticket, traceparent…), never
 * rights. Comments are found by the shape lexer, so comment-like text inside a string is not one.
 */
import { lex, type Lexed, type Span } from './shape.js';

const PAIR = /^\s*([^=,\s']+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/s;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Splits `a='x,y',b='z'` at the commas outside quotes. */
function splitPairs(body: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && quoted) i++;
    else if (c === "'") quoted = !quoted;
    else if (c === ',' && !quoted) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (body.trim() !== '') parts.push(body.slice(start));
  return parts;
}

/** The tags of one comment body, or undefined when it is not a sqlcommenter comment. */
export function parseTagComment(body: string): Record<string, string> | undefined {
  const parts = splitPairs(body);
  if (parts.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const part of parts) {
    const m = PAIR.exec(part);
    if (!m) return undefined;
    const key = decode(m[1]!);
    if (key !== '__proto__') tags[key] = decode(m[2]!.replace(/\\(.)/g, '$1'));
  }
  return tags;
}

/** The block comments of a text (none without a `/*`, without lexing). */
export function blockComments(text: string): Span[] {
  return text.includes('/*') ? blockCommentsOf(text, lex(text)) : [];
}

/** The block comments among a lexed text's comments. */
export function blockCommentsOf(text: string, lexed: Lexed): Span[] {
  return lexed.comments.filter((c) => text.charCodeAt(c.start) === 0x2f);
}

/** All sqlcommenter tags of the block comments within `[from, to)`; a later comment's key wins. */
export function sqlcommenterTags(text: string, comments: readonly Span[], from = 0, to = text.length): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const span of comments) {
    if (span.start < from || span.end > to) continue;
    const closed = span.end - span.start >= 4 && text.startsWith('*/', span.end - 2);
    Object.assign(tags, parseTagComment(text.slice(span.start + 2, closed ? span.end - 2 : span.end)));
  }
  return tags;
}
