/**
 * The live catalog: names, columns, views, functions and table sizes from the real database, with
 * the policy's tags merged in — the guard's `CatalogPort` once Parapet is connected to PostgreSQL.
 */
export { catalogConnection, type CatalogQueries, type CatalogConnectionOptions } from './connection.js';
export { CatalogError, type CatalogErrorCode } from './errors.js';
export { LiveCatalog, type LiveCatalogOptions, type ResolutionContext, type ColumnSource } from './live-catalog.js';
export { SearchPathTracker, parseSearchPath, effectiveSchemas, TEMP_SCHEMA, type SearchPathState } from './search-path.js';
export { noteStatementRan } from './session-changes.js';
export { enrichAnalysis, safeFunctionsFor, type EnrichedAnalysis, type FunctionFinding } from './enrich.js';
export { resolveFunction, functionCallSql, type FunctionResolution } from './functions.js';
export type { CatalogSnapshot, RelationEntry, FunctionEntry, CascadeEntry, HookEntry } from './snapshot.js';
export type { ViewLineage, ViewColumnLineage, ColumnRef } from './view-lineage.js';
export { createSessionGuards, type SessionGuards, type SessionGuardsOptions } from './session-guards.js';
