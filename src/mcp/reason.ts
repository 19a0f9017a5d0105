/**
 * The agent's stated reason, carried into the audit trail as a sqlcommenter tag appended to the
 * statement: `/*reason='…'*\/`. The value is URL-encoded, and the characters encodeURIComponent
 * leaves alone but that matter in a comment or a tag (`'`, `*`, `(`, `)`, `!`) are encoded too, so a
 * reason can never end the comment or add a tag. A tag is context for the audit, never a right.
 */

/** Longest reason kept, in characters. */
export const MAX_REASON_CHARS = 500;

export function withReason(sql: string, reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '') return sql;
  const value = encodeURIComponent(Array.from(reason.trim()).slice(0, MAX_REASON_CHARS).join('')).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // On a line of its own: a `-- comment` at the end of the statement must not swallow the tag.
  return `${sql}\n/*reason='${value}'*/`;
}
