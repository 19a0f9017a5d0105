/** The guard pipeline: one entry point for every door. */
export { createGuard } from './guard.js';
export { staticCatalog } from './static-catalog.js';
export { parseOptions } from './connect.js';
export { runPolicyTests, type PolicyTestResult } from './policy-tests.js';
export type { CatalogPort, Guard, GuardInput, GuardOptions, GuardResult, ImpactPort } from './types.js';
