/**
 * What a write can change beyond the rows its command tag counts: foreign keys on other tables that
 * cascade (or set NULL / DEFAULT) when rows of the target go or change, and the target's triggers
 * and rewrite rules. An estimate cannot size those (the figure is then unknown); an exact run
 * counts them from the transaction's own statistics.
 */
import type { CatalogSnapshot, RelationEntry, WriteEvent } from '../catalog/snapshot.js';

export interface WriteTarget {
  relation: RelationEntry;
  operation: 'insert' | 'update' | 'delete' | 'merge' | 'unknown';
  /** Columns an UPDATE sets, when known. */
  columns?: readonly string[];
}

/** Why the command tag's count may not be the whole change, one line each (empty: it is). */
export function writeHazards(snapshot: CatalogSnapshot, target: WriteTarget): string[] {
  const { relation, operation } = target;
  const events: WriteEvent[] = operation === 'merge' || operation === 'unknown' ? ['insert', 'update', 'delete'] : [operation];
  const found: string[] = [];
  for (const hook of snapshot.hooks.get(relation.oid) ?? []) {
    if (hook.events.some((e) => events.includes(e))) found.push(`${hook.type} \`${hook.name}\` on \`${relation.schema}.${relation.name}\``);
  }
  const updatedNumbers = target.columns && !target.columns.includes('*') ? numbersOf(relation, target.columns) : undefined;
  for (const fk of snapshot.cascades.get(relation.oid) ?? []) {
    const referencing = snapshot.relations.get(fk.referencing);
    const on = referencing ? `\`${referencing.schema}.${referencing.name}\`` : `table ${fk.referencing}`;
    if (events.includes('delete') && fk.onDelete !== 'none') found.push(`a foreign key on ${on} (ON DELETE ${fk.onDelete.replace('-', ' ').toUpperCase()})`);
    const keyChanges = updatedNumbers === undefined || fk.columns.some((c) => updatedNumbers.has(c));
    if (events.includes('update') && fk.onUpdate !== 'none' && keyChanges) found.push(`a foreign key on ${on} (ON UPDATE ${fk.onUpdate.replace('-', ' ').toUpperCase()})`);
  }
  return found;
}

function numbersOf(relation: RelationEntry, names: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const [number, name] of relation.columns) if (names.includes(name)) out.add(number);
  return out;
}
