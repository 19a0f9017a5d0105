/** The process-wide analysis cache behind `analyze`. */
import { AnalysisCache, type CacheStats } from './cache.js';
import type { Analysis } from './types.js';

const shared = new AnalysisCache();

/** Analyses every statement of `text` (cached: see cache.ts). The result is shared: do not mutate it. */
export function analyze(text: string): Analysis {
  return shared.analyze(text);
}

/** Hit and size counters of the cache behind `analyze`. */
export function analysisCacheStats(): CacheStats {
  return shared.stats();
}
