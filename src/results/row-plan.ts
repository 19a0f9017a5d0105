/**
 * What happens to each field of a result, decided once per RowDescription (or per COPY): which
 * fields are masked (by their real origin, through views, or — without an origin — because the
 * statement may have computed them from masked data), and which fields carry data the bulk-read
 * guard counts.
 */
import type { LiveCatalog } from '../catalog/live-catalog.js';

/** What the result guards ask the catalog (a `LiveCatalog`, or a stub in tests). */
export type ResultCatalog = Pick<LiveCatalog, 'columnSources' | 'resolve' | 'snapshot'>;
import type { MaskStyle } from '../policy/types.js';
import { fieldMasker, type FieldMasker, type MaskRule } from './mask-values.js';
import type { MaskHasher } from './mask-hash.js';
import { ruleFor, strictestRule, type MaskingPolicy } from './masking-policy.js';

/** Reading more than `rows` rows of columns tagged `tags` in one message: refused, or masked from then on. */
export interface BulkReadLimit {
  tags: string[];
  rows: number;
  onExceed: 'error' | 'mask';
  /** Style for `mask` (default `redact`). */
  style?: MaskStyle;
  keep?: number;
}

/** What the statement may feed into fields without origin (see origin-feed.ts). */
export interface StatementFeeds {
  /** Masked data may reach an origin-less field. */
  masked: boolean;
  /** Bulk-watched data may reach an origin-less field. */
  bulk: boolean;
}

export interface RowPlan {
  /** Per field: how to mask it, or undefined to pass it through. */
  maskers: (FieldMasker | undefined)[];
  /** Per field: a masker to use once the bulk limit is passed (fields that carry bulk-watched data in clear). */
  bulkMaskers: (FieldMasker | undefined)[];
  /** Fast paths. */
  masks: boolean;
  bulk: boolean;
}

export interface PlanField {
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  format: number;
}

export interface PlanContext {
  catalog: ResultCatalog;
  masking?: MaskingPolicy;
  bulk?: BulkReadLimit;
  feeds: StatementFeeds;
  /** The deployment's keyed hash, for the `hash` style. */
  hasher: MaskHasher;
}

export async function planFields(fields: readonly PlanField[], context: PlanContext): Promise<RowPlan> {
  const { masking, bulk, feeds, hasher } = context;
  const plan: RowPlan = { maskers: [], bulkMaskers: [], masks: false, bulk: false };
  if (!masking && !bulk) return plan;
  const bulkRule: MaskRule = { style: bulk?.style ?? 'redact', ...(bulk?.keep !== undefined ? { keep: bulk.keep } : {}) };
  for (const field of fields) {
    // A catalog that cannot answer (the embedded one, between loans of the session) leaves the origin unknown.
    const sources = field.tableOid === 0 ? [] : await context.catalog.columnSources(field.tableOid, field.columnNumber).catch(() => []);
    // No origin, or an origin the catalog cannot see (a table created in an uncommitted transaction,
    // or not read yet): masked strictly.
    const originless = sources.length === 0;
    let rule = masking && !originless ? ruleFor(masking, sources) : undefined;
    if (masking && originless && (feeds.masked || field.tableOid !== 0)) rule = strictestRule(masking);
    const masker = rule ? fieldMasker(rule, field.typeOid, field.format, hasher) : undefined;
    plan.maskers.push(masker);
    let watched = false;
    if (bulk && !masker) {
      watched = originless ? feeds.bulk || field.tableOid !== 0 : sources.some((s) => s.tags.includes('*') || s.tags.some((t) => bulk.tags.includes(t)));
    }
    plan.bulkMaskers.push(watched ? fieldMasker(bulkRule, field.typeOid, field.format, hasher) : undefined);
    plan.masks ||= masker !== undefined;
    plan.bulk ||= watched;
  }
  return plan;
}
