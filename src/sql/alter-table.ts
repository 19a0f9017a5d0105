/**
 * ALTER TABLE (and ALTER INDEX/VIEW/SEQUENCE/… that share its node): besides the DDL itself, its
 * sub-commands can drop columns, switch triggers, rules and row-level security off, or change owner.
 */
import { as, list, relationOf, relationText, roleName, str, type Fields } from './ast.js';
import type { Analyzer } from './analyzer.js';
import { ddl, objectKindOf } from './ddl-effect.js';
import type { ConfigEffect } from './types.js';

const TRIGGERS_OFF: Readonly<Record<string, string | undefined>> = {
  AT_DisableTrig: undefined,
  AT_DisableTrigAll: 'all',
  AT_DisableTrigUser: 'user',
};
const TRIGGERS_ON: Readonly<Record<string, string | undefined>> = {
  AT_EnableTrig: undefined,
  AT_EnableAlwaysTrig: undefined,
  AT_EnableReplicaTrig: undefined,
  AT_EnableTrigAll: 'all',
  AT_EnableTrigUser: 'user',
};
const ROW_SECURITY_OFF = new Set(['AT_DisableRowSecurity', 'AT_NoForceRowSecurity']);

export function alterTableStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.relation as Fields);
  const table = relationText(relation);
  const objectKind = objectKindOf(f.objtype);
  const ifExists = f.missing_ok === true;
  let altered = false;
  const config = (effect: Omit<ConfigEffect, 'type' | 'scope' | 'target'>) =>
    a.add({ type: 'config', ...effect, scope: 'table', target: table });

  for (const item of list(f.cmds)) {
    const cmd = as(item, 'AlterTableCmd');
    if (!cmd) continue;
    const subtype = str(cmd.subtype) ?? '';
    const name = str(cmd.name);
    if (subtype === 'AT_DropColumn') {
      ddl(a, 'alter-drop-column', objectKind, [table], {
        relation,
        ...(name !== undefined ? { column: name } : {}),
        cascade: str(cmd.behavior) === 'DROP_CASCADE',
        ifExists,
      });
    } else if (subtype in TRIGGERS_OFF) {
      config({ operation: 'disable-trigger', name: name ?? TRIGGERS_OFF[subtype]!, safety: ['trigger'] });
    } else if (subtype in TRIGGERS_ON) {
      config({ operation: 'enable-trigger', name: name ?? TRIGGERS_ON[subtype]! });
    } else if (subtype === 'AT_DisableRule') {
      config({ operation: 'disable-rule', ...(name !== undefined ? { name } : {}), safety: ['trigger'] });
    } else if (ROW_SECURITY_OFF.has(subtype)) {
      config({ operation: 'row-security', value: subtype === 'AT_DisableRowSecurity' ? 'disable' : 'no force', safety: ['row-security'] });
    } else if (subtype === 'AT_ChangeOwner') {
      const owner = roleName(cmd.newowner);
      a.add({ type: 'privilege', operation: 'alter-owner', targets: [table], grantees: owner ? [owner] : [], objectKind });
    } else {
      altered = true;
    }
    a.expr(cmd.def, 'default');
  }
  if (altered) ddl(a, 'alter', objectKind, [table], { relation, ifExists });
}
