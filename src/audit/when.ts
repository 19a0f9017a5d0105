/**
 * Time arguments of the audit and lineage commands: an ISO 8601 date or time (`2026-03-01`,
 * `2026-03-01T12:00:00Z`), or an age back from now (`90s`, `15m`, `2h`, `7d`, `4w`).
 */
import { AuditError } from './errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The instant meant, as a UTC ISO string (the form records carry, so they compare as text). */
export function parseWhen(text: string, now = new Date()): string {
  const unit = UNITS[text.slice(-1)];
  const amount = text.slice(0, -1);
  if (unit !== undefined && amount.length > 0 && [...amount].every((c) => c >= '0' && c <= '9')) {
    return new Date(now.getTime() - Number(amount) * unit).toISOString();
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new AuditError('bad-config', `cannot read the time \`${text}\``, { hint: 'give an ISO 8601 date such as 2026-03-01 or an age such as 7d' });
  }
  return new Date(ms).toISOString();
}
