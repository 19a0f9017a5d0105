/**
 * Values written into Parapet's own catalog queries. The catalog session pins
 * `standard_conforming_strings = on` and UTF-8, so a quoted literal is the text between quotes with
 * each quote doubled; NUL cannot occur in PostgreSQL text and is refused.
 */

/** A string literal: `'it''s'`. */
export function literal(value: string): string {
  if (value.includes('\0')) throw new RangeError('a catalog query value cannot contain NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** An array literal of text values: `ARRAY['a','b']::text[]`. */
export function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(literal).join(',')}]::text[]`;
}

/** A list of OIDs for `IN (…)`; OIDs are integers, checked as such. */
export function oidList(oids: readonly number[]): string {
  for (const oid of oids) if (!Number.isInteger(oid) || oid < 0) throw new RangeError(`not an oid: ${oid}`);
  return oids.length ? oids.join(',') : 'NULL';
}

/** An identifier, always quoted (so keywords and mixed case are safe). */
export function ident(name: string): string {
  if (name.includes('\0')) throw new RangeError('an identifier cannot contain NUL');
  return `"${name.replaceAll('"', '""')}"`;
}
