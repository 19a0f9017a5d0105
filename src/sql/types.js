/**
 * What the analyser says about SQL text. This file is the contract between the analyser and every
 * consumer (policy, proxy, audit, lineage, MCP): change it additively.
 *
 * Everything here is derived from libpg-query's AST, never from regular expressions over the text.
 */
export {};
