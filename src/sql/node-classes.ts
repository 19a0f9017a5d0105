/**
 * Which parse-tree node types the analyser knows: those with a handler of their own and those it
 * only walks through. The corpus test lists every node type met that is in neither.
 */
import { expressionHandlers } from './expressions.js';
import { passiveNodeTypes } from './node-types.js';
import { statementHandlers } from './statements.js';

let known: ReadonlySet<string> | undefined;

export function classifiedNodeTypes(): ReadonlySet<string> {
  known ??= new Set([...Object.keys(statementHandlers), ...Object.keys(expressionHandlers), ...passiveNodeTypes]);
  return known;
}
