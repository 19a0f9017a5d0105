/**
 * Result guards: masking by real column origin, row caps per portal and cursor, the bulk-read limit,
 * error and notice scrubbing — pure transforms over backend frames — and the decision-time checks
 * that close the side doors around masking.
 */
export { SessionResults, type SessionResultsOptions, type ResultOutput, type JudgedResult } from './session-results.js';
export { ResultFilter, RESULT_LIMIT_SQLSTATE, type FilterSettings, type RowCounter, type BulkCounter } from './result-filter.js';
export { maskingFor, withStatementMasks, type MaskingPolicy, type NoOriginAction } from './masking-policy.js';
export { maskingSideDoor, MASKING_RULE, type SideDoor, type SideDoorContext } from './side-doors.js';
export { fieldMasker, maskValue, partial, PLACEHOLDER, type FieldMasker, type MaskRule } from './mask-values.js';
export { MaskHasher, HASH_LABEL } from './mask-hash.js';
export { planFields, type BulkReadLimit, type RowPlan, type StatementFeeds } from './row-plan.js';
export { feedsOriginless, copiesMasked } from './origin-feed.js';
export { scrubFields } from './error-scrub.js';
export { copyShape, maskCopyRow, type CopyShape } from './copy-rows.js';
export { commandTagCount, withCount } from './command-tag.js';
