/**
 * Every statement node type the analyser knows, by family. A type missing here is unclassified: the
 * statement gets a kind from its node name and `readOnly: "unknown"`.
 */
import type { Handler } from './analyzer.js';
import { configHandlers } from './config.js';
import { ddlHandlers } from './ddl.js';
import { dynamicHandlers } from './dynamic.js';
import { externalHandlers } from './external.js';
import { privilegeHandlers } from './privileges.js';
import { queryHandlers } from './queries.js';
import { utilityHandlers } from './utility.js';

export const statementHandlers: Readonly<Record<string, Handler>> = {
  ...queryHandlers,
  ...configHandlers,
  ...ddlHandlers,
  ...dynamicHandlers,
  ...externalHandlers,
  ...privilegeHandlers,
  ...utilityHandlers,
};
