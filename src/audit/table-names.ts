/**
 * How table names are kept in records and matched in searches. Names are stored as the statement
 * wrote them: `schema.table` when qualified, `table` when not (resolved through search_path later,
 * so an unqualified name may mean any schema).
 */

/** The table part of a possibly qualified name. */
export function bareName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

/**
 * What a search for `query` matches: an unqualified query matches the table in any schema (`bare`);
 * a qualified one matches itself and the unqualified name (which may resolve to it).
 */
export function tableMatch(query: string): { bare?: string; names: string[] } {
  const bare = bareName(query);
  if (bare === query) return { bare, names: [query] };
  return { names: [query, bare] };
}
