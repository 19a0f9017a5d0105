/**
 * The statement analyser: `analyze(text)` describes what each statement of a text does, from
 * libpg-query's parse tree. Await `initParser()` once before the first call; after that everything
 * is synchronous and never throws.
 */
import { AnalysisCache } from './cache.js';
import type { Analysis } from './types.js';

export { initParser } from './parser.js';
export { analyzeUncached } from './analyze.js';
export { AnalysisCache, type CacheOptions, type CacheStats } from './cache.js';
export { classifiedNodeTypes } from './node-classes.js';
export type * from './types.js';

const shared = new AnalysisCache();

/** Analyses every statement of `text` (cached: see cache.ts). The result is shared: do not mutate it. */
export function analyze(text: string): Analysis {
  return shared.analyze(text);
}

/** Hit and size counters of the cache behind `analyze`. */
export function analysisCacheStats() {
  return shared.stats();
}
