/**
 * The built-in rule catalogue: every rule a policy can name, one module each. The list is closed —
 * `RuleId` is derived from it, and a policy naming any other id is a load error. Add a rule with
 * `node --import tsx scripts/new-rule.ts <id>`, which also registers it here.
 */
import type { RuleDefinition } from '../rule.js';
import { changeFreeze } from './change-freeze.js';
import { maskColumns } from './mask-columns.js';
import { maxAffectedRows } from './max-affected-rows.js';
import { maxResultRows } from './max-result-rows.js';
import { noConfigChange } from './no-config-change.js';
import { noCopyTaggedData } from './no-copy-tagged-data.js';
import { noDdl } from './no-ddl.js';
import { noDrop } from './no-drop.js';
import { noDynamicSql } from './no-dynamic-sql.js';
import { noExplicitLock } from './no-explicit-lock.js';
import { noLargeObject } from './no-large-object.js';
import { noNetworkAccess } from './no-network-access.js';
import { noPinnedSettingChange } from './no-pinned-setting-change.js';
import { noPrivilegeChange } from './no-privilege-change.js';
import { noProgramExec } from './no-program-exec.js';
import { noRoleSwitch } from './no-role-switch.js';
import { noSensitiveParameters } from './no-sensitive-parameters.js';
import { noServerFileAccess } from './no-server-file-access.js';
import { noSideEffectFunctions } from './no-side-effect-functions.js';
import { noStackedStatements } from './no-stacked-statements.js';
import { noTransactionEscape } from './no-transaction-escape.js';
import { noTriggerDisable } from './no-trigger-disable.js';
import { noTruncate } from './no-truncate.js';
import { noUnknownEffects } from './no-unknown-effects.js';
import { protectedObjects } from './protected-objects.js';
import { readOnly } from './read-only.js';
import { requireReason } from './require-reason.js';
import { requireWhere } from './require-where.js';
// new-rule: imports above

export const builtinRules = [
  changeFreeze,
  maskColumns,
  maxAffectedRows,
  maxResultRows,
  noConfigChange,
  noCopyTaggedData,
  noDdl,
  noDrop,
  noDynamicSql,
  noExplicitLock,
  noLargeObject,
  noNetworkAccess,
  noPinnedSettingChange,
  noPrivilegeChange,
  noProgramExec,
  noRoleSwitch,
  noSensitiveParameters,
  noServerFileAccess,
  noSideEffectFunctions,
  noStackedStatements,
  noTransactionEscape,
  noTriggerDisable,
  noTruncate,
  noUnknownEffects,
  protectedObjects,
  readOnly,
  requireReason,
  requireWhere,
  // new-rule: entries above
] as const;

/** The id of a built-in rule. */
export type RuleId = (typeof builtinRules)[number]['id'];

/** Any built-in rule, its parameters seen as a plain object (the policy loader validates them against `paramsSchema`). */
export type BuiltinRule = RuleDefinition;

const byId = new Map<string, BuiltinRule>(builtinRules.map((rule) => [rule.id, rule as BuiltinRule]));

/** The built-in rule with this id, or undefined for an id that is not in the catalogue. */
export function ruleById(id: string): BuiltinRule | undefined {
  return byId.get(id);
}

/** Whether `id` names a built-in rule. */
export function isRuleId(id: string): id is RuleId {
  return byId.has(id);
}
