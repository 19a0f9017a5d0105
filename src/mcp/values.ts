/**
 * Column values as JSON for an agent: numbers, booleans and JSON documents as themselves, everything
 * else as PostgreSQL's text. A value is never guessed from its text, only from its type; one that
 * does not read as its type (a masked number, say) stays text.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Longest value kept whole, in characters; longer ones are cut with a marker. */
export const MAX_VALUE_CHARS = 8192;

const Oid = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  jsonb: 3802,
} as const;

/** Names of the common built-in types by OID; others are shown as `oid N`. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  16: 'boolean',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1042: 'character',
  1043: 'character varying',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1186: 'interval',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

export function typeName(oid: number): string {
  return TYPE_NAMES[oid] ?? `oid ${oid}`;
}

export function columnValue(text: string | null, typeOid: number): JsonValue {
  if (text === null) return null;
  if (text.length > MAX_VALUE_CHARS) return `${text.slice(0, MAX_VALUE_CHARS)}… [cut: ${text.length} characters in all]`;
  switch (typeOid) {
    case Oid.bool:
      return text === 't' ? true : text === 'f' ? false : text;
    case Oid.int2:
    case Oid.int4:
    case Oid.oid:
    case Oid.int8: {
      const n = Number(text);
      return /^-?\d+$/.test(text) && Number.isSafeInteger(n) ? n : text;
    }
    case Oid.float4:
    case Oid.float8: {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : text;
    }
    case Oid.json:
    case Oid.jsonb:
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        return text;
      }
    default:
      return text;
  }
}
