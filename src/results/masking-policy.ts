/**
 * Which result values an actor may not see in clear: the masks of every `mask-columns` rule in the
 * actor's scope (by tag, or by `schema.table.column`), plus any mask a statement's decision carries.
 * Masking at the wire applies them by each field's real origin, whatever the statement looks like;
 * the union over the actor's rules is used even where a rule's `when` condition would not have
 * matched — more masking, never less.
 */
import type { Policy } from '../policy/policy.js';
import type { Actor, MaskStyle, Obligations } from '../policy/types.js';
import type { ColumnSource } from '../catalog/live-catalog.js';
import type { MaskRule } from './mask-values.js';

export type Mask = NonNullable<Obligations['mask']>[number];

/** What happens to a result field with no column origin that the statement may have computed from masked data. */
export type NoOriginAction = 'mask' | 'deny';

export interface MaskingPolicy {
  masks: readonly Mask[];
  /** Default `deny`: the statement is refused before it runs, with a hint to select the column itself. */
  noOrigin: NoOriginAction;
}

/** Strictest first, as the policy combines masks. */
const STRICTNESS: readonly MaskStyle[] = ['null', 'redact', 'hash', 'partial'];

/** The actor's masking from the policy, or undefined when nothing is masked for this actor. */
export function maskingFor(policy: Policy, actor: Actor, environment: string, noOrigin: NoOriginAction = 'deny'): MaskingPolicy | undefined {
  const masks: Mask[] = [];
  for (const rule of policy.rulesFor(actor, environment)) {
    if (rule.definition?.id !== 'mask-columns') continue;
    const p = rule.params as { tags: string[]; columns: string[]; style: MaskStyle; keep?: number };
    masks.push({ tags: [...p.tags], columns: [...p.columns], style: p.style, ...(p.keep !== undefined ? { keep: p.keep } : {}) });
    for (const extra of rule.obligations?.mask ?? []) masks.push(extra);
  }
  return masks.length ? { masks, noOrigin } : undefined;
}

/** The session's masking plus a statement's own mask obligations. */
export function withStatementMasks(base: MaskingPolicy | undefined, obligations: Obligations | undefined): MaskingPolicy | undefined {
  const extra = obligations?.mask ?? [];
  if (!extra.length) return base;
  return { masks: [...(base?.masks ?? []), ...extra], noOrigin: base?.noOrigin ?? 'deny' };
}

/** Every tag the masks name. */
export function maskedTags(policy: MaskingPolicy): Set<string> {
  return new Set(policy.masks.flatMap((m) => m.tags));
}

/** Whether a column (by its key and tags) is masked, and how: the strictest matching mask. */
export function ruleFor(policy: MaskingPolicy, sources: readonly ColumnSource[]): MaskRule | undefined {
  let best: MaskRule | undefined;
  for (const mask of policy.masks) {
    if (!sources.some((s) => matches(mask, s))) continue;
    const rule: MaskRule = { style: mask.style, ...(mask.keep !== undefined ? { keep: mask.keep } : {}) };
    if (!best || stricter(rule, best)) best = rule;
  }
  return best;
}

/** The strictest rule of the policy: for fields masked because their origin cannot be told. */
export function strictestRule(policy: MaskingPolicy): MaskRule {
  let best: MaskRule | undefined;
  for (const mask of policy.masks) {
    const rule: MaskRule = { style: mask.style, ...(mask.keep !== undefined ? { keep: mask.keep } : {}) };
    if (!best || stricter(rule, best)) best = rule;
  }
  return best ?? { style: 'null' };
}

function matches(mask: Mask, source: ColumnSource): boolean {
  // A source the catalog cannot name (tags `*`) counts as tagged with anything.
  if (source.tags.includes('*')) return true;
  if (source.tags.some((t) => mask.tags.includes(t))) return true;
  const table = `${source.schema}.${source.table}`;
  return mask.columns.includes(`${table}.${source.column}`) || mask.columns.includes(`${table}.*`);
}

function stricter(a: MaskRule, b: MaskRule): boolean {
  const order = STRICTNESS.indexOf(a.style) - STRICTNESS.indexOf(b.style);
  if (order !== 0) return order < 0;
  return a.style === 'partial' && (a.keep ?? 0) < (b.keep ?? 0);
}
