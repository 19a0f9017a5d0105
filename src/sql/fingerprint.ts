/**
 * `StatementAnalysis.fingerprint` as a property computed on first read: it costs a second parse and
 * many callers never look. One shared accessor (a per-object closure would cost more than the rest
 * of a small analysis); values are kept aside, since a cached analysis is frozen. A statement rebuilt
 * from another of the same shape reads that one's fingerprint, as fingerprints ignore literals.
 */
import { fingerprint } from './parser.js';
import type { StatementAnalysis } from './types.js';

const values = new WeakMap<object, string>();
const sameShape = new WeakMap<object, StatementAnalysis>();

const descriptor: PropertyDescriptor = {
  enumerable: true,
  get(this: StatementAnalysis): string {
    const template = sameShape.get(this);
    if (template) return template.fingerprint;
    let value = values.get(this);
    if (value === undefined) {
      value = fingerprint(this.sql);
      values.set(this, value);
    }
    return value;
  },
};

/** Gives `statement` its fingerprint property (computed from its `sql`, or taken from `template`). */
export function defineFingerprint<T extends object>(statement: T, template?: StatementAnalysis): T & { fingerprint: string } {
  if (template) sameShape.set(statement, template);
  return Object.defineProperty(statement, 'fingerprint', descriptor) as T & { fingerprint: string };
}
