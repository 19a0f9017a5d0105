/**
 * The statement analyser: `analyze(text)` describes what each statement of a text does, from
 * libpg-query's parse tree. Await `initParser()` once before the first call; after that everything
 * is synchronous and never throws.
 */
export { initParser, parserHealth } from './parser.js';
export { analyze, analysisCacheStats } from './shared-cache.js';
export { analyzeUncached } from './analyze.js';
export { analyzeEach, splitStatements } from './split.js';
export { AnalysisCache, type CacheOptions, type CacheStats } from './cache.js';
export { classifiedNodeTypes } from './node-classes.js';
export type * from './types.js';
