/**
 * The canonical encoding that record hashes are computed over: JSON with object keys sorted by
 * UTF-16 code unit order (JavaScript's default sort), no whitespace, `undefined` members omitted,
 * strings escaped as `JSON.stringify` does. Non-finite numbers cannot be encoded (they have no JSON
 * form) and are rejected rather than silently turned into `null`.
 *
 * The same value always encodes to the same text, so a verifier in any language can recompute it.
 */
import { AuditError } from './errors.js';

/** Sorted keys with their encoded `"key":` prefixes, per key list: records come in a few shapes. */
const plans = new Map<string, [string, string][]>();
const MAX_PLANS = 512;

function plan(keys: string[]): [string, string][] {
  const id = keys.join('\u0000');
  let cached = plans.get(id);
  if (!cached) {
    cached = [...keys].sort().map((k) => [k, `${JSON.stringify(k)}:`]);
    if (plans.size < MAX_PLANS) plans.set(id, cached);
  }
  return cached;
}

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
      // String building in loops: this runs for every record on the proxy's thread.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const [key, prefix] of plan(Object.keys(record))) {
        const item = record[key];
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += prefix + canonicalJson(item);
      }
      return `${out}}`;
    }
    default:
      throw new AuditError('bad-record', `cannot encode a value of type \`${typeof value}\``);
  }
}

/** Re-encodes stored JSON text canonically, so a body's hash depends on its content, not its spelling. */
export function canonicalText(text: string): string {
  return canonicalJson(JSON.parse(text));
}
