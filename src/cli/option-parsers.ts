/** Parsers for command-line option values, shared by the commands; a bad value is a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import type { AuditError } from '../audit/errors.js';
import { parseWhen } from '../audit/when.js';

/** A whole number of at least 1 (`-n 20`). */
export function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** A point in time: ISO 8601 or an age such as `2h`, `7d` (see audit/when.ts). */
export function when(value: string): string {
  try {
    return parseWhen(value);
  } catch (err) {
    throw new InvalidArgumentError((err as AuditError).message);
  }
}
