/**
 * The canonical encoding that record hashes are computed over: JSON with object keys sorted by
 * UTF-16 code unit order (JavaScript's default sort), no whitespace, `undefined` members omitted,
 * strings escaped as `JSON.stringify` does. Non-finite numbers cannot be encoded (they have no JSON
 * form) and are rejected rather than silently turned into `null`.
 *
 * The same value always encodes to the same text, so a verifier in any language can recompute it.
 */
import { AuditError } from './errors.js';

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new AuditError('bad-record', `cannot encode the number \`${value}\``);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new AuditError('bad-record', `cannot encode a value of type \`${typeof value}\``);
  }
}

/** Re-encodes stored JSON text canonically, so a body's hash depends on its content, not its spelling. */
export function canonicalText(text: string): string {
  return canonicalJson(JSON.parse(text));
}
