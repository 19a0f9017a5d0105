/**
 * Obligations: what a door must do when it allows a statement. Several allow-rules may each attach
 * some; they combine into the strictest set (the smallest caps, every mask, read-only if any says so).
 */
import type { MaskStyle, Obligations } from './types.js';

/** Strictest first: `null` reveals nothing, `redact` a fixed text, `hash` equality, `partial` some characters. */
const MASK_STRICTNESS: readonly MaskStyle[] = ['null', 'redact', 'hash', 'partial'];

type Mask = NonNullable<Obligations['mask']>[number];

/** Adds `next` into `into` (mutates and returns `into`) keeping the strictest of each obligation. */
export function mergeObligations(into: Obligations, next: Obligations): Obligations {
  if (next.readOnly) into.readOnly = true;
  if (next.requireReason) into.requireReason = true;
  if (next.maxResultRows) {
    const a = into.maxResultRows;
    const b = next.maxResultRows;
    into.maxResultRows = a
      ? { rows: Math.min(a.rows, b.rows), onExceed: a.onExceed === 'error' || b.onExceed === 'error' ? 'error' : 'truncate' }
      : { ...b };
  }
  if (next.maxAffectedRows) {
    const a = into.maxAffectedRows;
    const b = next.maxAffectedRows;
    into.maxAffectedRows = a
      ? {
          ...minOf('rows', a.rows, b.rows),
          ...minOf('percent', a.percent, b.percent),
          mode: a.mode === 'exact' || b.mode === 'exact' ? 'exact' : 'estimate',
          onUnknown: a.onUnknown === 'deny' || b.onUnknown === 'deny' ? 'deny' : 'review',
        }
      : { ...b };
  }
  if (next.mask?.length) into.mask = into.mask?.length ? combineMasks([...into.mask, ...next.mask]) : next.mask.map((m) => ({ ...m }));
  return into;
}

function minOf<K extends string>(key: K, a: number | undefined, b: number | undefined): Partial<Record<K, number>> {
  if (a === undefined && b === undefined) return {};
  return { [key]: Math.min(a ?? Infinity, b ?? Infinity) } as Record<K, number>;
}

/**
 * One entry per (style, keep); a tag or column masked by several styles keeps only the strictest,
 * so a door never has to choose.
 */
function combineMasks(masks: readonly Mask[]): Mask[] {
  const strictest = new Map<string, Mask>();
  const pick = (key: string, mask: Mask) => {
    const current = strictest.get(key);
    if (!current || stricter(mask, current)) strictest.set(key, mask);
  };
  for (const mask of masks) {
    for (const tag of mask.tags) pick(`tag:${tag}`, mask);
    for (const column of mask.columns) pick(`column:${column}`, mask);
  }
  const byStyle = new Map<string, Mask>();
  for (const [key, mask] of strictest) {
    const styleKey = `${mask.style}:${mask.keep ?? ''}`;
    let entry = byStyle.get(styleKey);
    if (!entry) byStyle.set(styleKey, (entry = { tags: [], columns: [], style: mask.style, ...(mask.keep !== undefined ? { keep: mask.keep } : {}) }));
    if (key.startsWith('tag:')) entry.tags.push(key.slice(4));
    else entry.columns.push(key.slice(7));
  }
  return [...byStyle.values()];
}

function stricter(a: Mask, b: Mask): boolean {
  const order = MASK_STRICTNESS.indexOf(a.style) - MASK_STRICTNESS.indexOf(b.style);
  if (order !== 0) return order < 0;
  return a.style === 'partial' && (a.keep ?? 0) < (b.keep ?? 0);
}

/** Whether a set of obligations asks anything of the door. */
export function hasObligations(obligations: Obligations): boolean {
  return Boolean(
    obligations.readOnly || obligations.requireReason || obligations.maxResultRows || obligations.maxAffectedRows || obligations.mask?.length,
  );
}
