/**
 * COPY … TO STDOUT output: which columns it sends (from the statement), in which format, and how to
 * mask one row. PostgreSQL sends one row per CopyData message in text and CSV formats (the CSV
 * header is a row of its own). Text format escapes the delimiter, newlines and backslashes inside
 * values, so a row splits on the delimiter byte; CSV quotes a value that needs it.
 */
import { as, booleanOption, defElemText, defElems, list, relationOf, stringValue } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';
import type { RelationName } from '../sql/types.js';
import { maskValue, type FieldMasker } from './mask-values.js';

export interface CopyShape {
  format: 'text' | 'csv' | 'binary';
  delimiter: string;
  nullString: string;
  quote: string;
  escape: string;
  header: boolean;
  /** `COPY table [(columns)] TO …`; absent for `COPY (query) TO …`. */
  relation?: RelationName;
  /** Listed columns; absent means every column in order. */
  columns?: string[];
  /** An ENCODING option other than UTF8: the rows cannot be read safely. */
  foreignEncoding: boolean;
}

/** The shape of a `COPY … TO STDOUT` statement, or undefined when it is not one. */
export function copyShape(sql: string): CopyShape | undefined {
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.value.length !== 1) return undefined;
  const copy = as(parsed.value[0]!.stmt, 'CopyStmt');
  if (!copy || copy.is_from === true) return undefined;
  const options = new Map(defElems(copy.options).map((d) => [String(d.defname), d] as const));
  const text = (name: string) => {
    const d = options.get(name);
    return d ? defElemText(d) : undefined;
  };
  const format = (text('format') ?? 'text').toLowerCase();
  const csv = format === 'csv';
  const quote = text('quote') ?? '"';
  const encoding = text('encoding');
  const header = options.has('header') ? booleanOption(text('header')) !== false : false;
  return {
    format: format === 'binary' ? 'binary' : csv ? 'csv' : 'text',
    delimiter: text('delimiter') ?? (csv ? ',' : '\t'),
    nullString: text('null') ?? (csv ? '' : '\\N'),
    quote,
    escape: text('escape') ?? quote,
    header,
    ...(copy.relation ? { relation: relationOf(copy.relation as Record<string, unknown>) } : {}),
    ...(copy.attlist ? { columns: list(copy.attlist).map((c) => stringValue(c) ?? '') } : {}),
    foreignEncoding: encoding !== undefined && !['utf8', 'utf-8', 'unicode'].includes(encoding.toLowerCase()),
  };
}

/** Masks the fields of one text or CSV row (the payload of one CopyData). */
export function maskCopyRow(row: Buffer, shape: CopyShape, maskers: readonly (FieldMasker | undefined)[]): Buffer {
  const text = row.toString('utf8');
  const ending = text.endsWith('\r\n') ? '\r\n' : text.endsWith('\n') ? '\n' : '';
  const body = text.slice(0, text.length - ending.length);
  const fields = shape.format === 'csv' ? splitCsv(body, shape) : body.split(shape.delimiter).map((raw) => ({ raw, value: raw === shape.nullString ? null : unescapeText(raw) }));
  const out = fields.map((field, i) => {
    const masker = maskers[i];
    if (!masker || field.value === null) return field.raw;
    const masked = maskValue(masker, Buffer.from(field.value, 'utf8'));
    if (masked === null) return shape.nullString;
    const value = masked.toString('utf8');
    return shape.format === 'csv' ? quoteCsv(value, shape) : escapeText(value, shape.delimiter);
  });
  return Buffer.from(out.join(shape.delimiter) + ending, 'utf8');
}

/** Text format: `\N`-style escapes to characters. */
function unescapeText(raw: string): string {
  if (!raw.includes('\\')) return raw;
  const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return map[e] ?? e;
  });
}

function escapeText(value: string, delimiter: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === delimiter) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

interface CsvField {
  raw: string;
  /** Unquoted value; null for an unquoted field equal to the NULL string. */
  value: string | null;
}

function splitCsv(body: string, shape: CopyShape): CsvField[] {
  const fields: CsvField[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    let value = '';
    let quoted = false;
    if (body[i] === shape.quote) {
      quoted = true;
      i++;
      while (i < body.length) {
        const ch = body[i]!;
        const next = body[i + 1];
        if (ch === shape.escape && shape.escape !== shape.quote && (next === shape.quote || next === shape.escape)) {
          value += next;
          i += 2;
        } else if (ch === shape.quote && shape.escape === shape.quote && next === shape.quote) {
          value += shape.quote;
          i += 2;
        } else if (ch === shape.quote) {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
    }
    while (i < body.length && body[i] !== shape.delimiter) value += body[i++];
    const raw = body.slice(start, i);
    fields.push({ raw, value: !quoted && raw === shape.nullString ? null : value });
    if (i >= body.length) return fields;
    i++; // delimiter
  }
}

function quoteCsv(value: string, shape: CopyShape): string {
  const needs = value === shape.nullString || [shape.delimiter, shape.quote, '\n', '\r', shape.escape].some((c) => value.includes(c));
  if (!needs) return value;
  let out = shape.quote;
  for (const ch of value) out += ch === shape.quote || ch === shape.escape ? shape.escape + ch : ch;
  return out + shape.quote;
}
