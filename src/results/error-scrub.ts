/**
 * Errors and notices can echo data: a failed cast quotes the input (`invalid input syntax for type
 * integer: "alice@example.com"`), a unique violation's DETAIL shows the key, a check violation the
 * failing row, `RAISE NOTICE '%', ssn` anything at all. For actors whose results are masked, every
 * ErrorResponse and NoticeResponse from the server is rewritten before it reaches the client:
 *   - DETAIL, HINT, CONTEXT (`where`) and the internal query are dropped — they are where values go;
 *   - the message is kept only for SQLSTATE classes whose messages are built from the statement's
 *     text and the catalog, not from row values (syntax and access errors, integrity violations —
 *     whose values are in the dropped DETAIL —, transaction and resource errors); any other message
 *     is replaced by a fixed text naming the condition;
 *   - severity, SQLSTATE, position and the names of schema, table, column, type and constraint stay.
 */
import type { PgErrorFields } from '../protocol/pg-error.js';

/** Classes whose primary message carries no row values. */
const MESSAGE_SAFE_CLASSES = new Set(['08', '0A', '0B', '0L', '0P', '21', '23', '24', '25', '26', '28', '2B', '2D', '34', '3B', '3D', '3F', '40', '42', '44', '53', '54', '55', '57', '58', 'F0', 'HV']);

export function scrubFields(fields: PgErrorFields): PgErrorFields {
  const safe = MESSAGE_SAFE_CLASSES.has(fields.code.slice(0, 2));
  const out: PgErrorFields = {
    severity: fields.severity,
    code: fields.code,
    message: safe ? fields.message : withheld(fields),
  };
  for (const key of ['position', 'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine'] as const) {
    if (fields[key] !== undefined) out[key] = fields[key];
  }
  if (!safe || fields.detail !== undefined || fields.where !== undefined) {
    out.hint = 'parts of this message were withheld because this session’s results are masked';
  }
  return out;
}

function withheld(fields: PgErrorFields): string {
  const what = fields.severity === 'ERROR' || fields.severity === 'FATAL' || fields.severity === 'PANIC' ? 'error' : 'message';
  return `${what} ${fields.code} (the server's text is withheld because it may contain masked values)`;
}
