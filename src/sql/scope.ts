/**
 * Name scopes of a query: which relations a column reference can belong to, and which names are
 * CTEs rather than relations. Columns are attributed only where that is unambiguous.
 */
import type { ReadEffect, RelationName } from './types.js';

/** A FROM item (or a write target) that column references can point at. */
export interface ScopeEntry {
  /** The alias, or the relation's own name when it has none. */
  refName: string;
  /** Set for a table or view; absent for a subquery, function or CTE. */
  relation?: RelationName;
  /** The read effect that collects this relation's columns (created on first use for write targets). */
  read?: ReadEffect;
  /** Creates `read` when a column of a write target is first referenced. */
  createRead?: () => ReadEffect;
}

export class Scope {
  readonly entries: ScopeEntry[] = [];
  private ctes: Set<string> | undefined;

  constructor(readonly parent?: Scope) {}

  addCte(name: string): void {
    (this.ctes ??= new Set()).add(name);
  }

  /** Whether an unqualified name refers to a CTE visible here. */
  isCte(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.ctes?.has(name)) return true;
    return false;
  }

  /** Records a column reference (`fields` as written: `[col]`, `[t, col]`, `[s, t, col]`, `*` for a star). */
  column(fields: string[]): void {
    const column = fields[fields.length - 1]!;
    if (fields.length === 1) {
      for (let s: Scope | undefined = this; s; s = s.parent) {
        if (s.entries.length === 0) continue;
        if (column === '*') {
          for (const entry of s.entries) addColumn(entry, '*');
        } else if (s.entries.length === 1) {
          addColumn(s.entries[0]!, column);
        }
        return;
      }
      return;
    }
    const qualifier = fields[fields.length - 2]!;
    const schema = fields.length > 2 ? fields[fields.length - 3] : undefined;
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const entry = s.entries.find(
        (e) => e.refName === qualifier && (schema === undefined || e.relation?.schema === schema),
      );
      if (entry) {
        addColumn(entry, column);
        return;
      }
    }
  }
}

function addColumn(entry: ScopeEntry, column: string): void {
  if (!entry.relation) return;
  if (!entry.read) {
    if (!entry.createRead) return;
    entry.read = entry.createRead();
  }
  const columns = (entry.read.columns ??= []);
  if (!columns.includes(column)) columns.push(column);
}
