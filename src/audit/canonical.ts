/**
 * The canonical encoding that record hashes are computed over: JSON with object keys sorted by
 * UTF-16 code unit order (JavaScript's default sort), no whitespace, `undefined` members omitted,
 * strings escaped as `JSON.stringify` does. Non-finite numbers cannot be encoded (they have no JSON
 * form) and are rejected rather than silently turned into `null`.
 *
 * The same value always encodes to the same text, so a verifier in any language can recompute it.
 */
import { AuditError } from './errors.js';

/** An object shape's keys as `Object.keys` lists them, and the same keys sorted with their encoded `"key":` prefixes. */
interface Plan {
  keys: string[];
  sorted: [string, string][];
}

/**
 * Plans by key count. Records come in a few shapes, so a short scan comparing key lists (property
 * names are interned: `===` is cheap) finds the plan without building a lookup string per object.
 */
const plans = new Map<number, Plan[]>();
const MAX_PLANS_PER_COUNT = 64;

function plan(keys: string[]): [string, string][] {
  let bucket = plans.get(keys.length);
  if (!bucket) plans.set(keys.length, (bucket = []));
  search: for (const candidate of bucket) {
    for (let i = 0; i < keys.length; i++) if (candidate.keys[i] !== keys[i]) continue search;
    return candidate.sorted;
  }
  const sorted = [...keys].sort().map((k): [string, string] => [k, `${JSON.stringify(k)}:`]);
  if (bucket.length < MAX_PLANS_PER_COUNT) bucket.push({ keys, sorted });
  return sorted;
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
