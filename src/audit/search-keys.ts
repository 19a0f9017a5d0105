/**
 * Search keys: the values a record can be found by without reading every body. The SQLite store
 * keeps them in a table of their own, written after commit in batches (./sqlite-keys.ts), so the
 * commit on the proxy's path writes one row and one small index per record.
 *
 * Only values that narrow a search are keys: the actor, the session, the tables a decision names,
 * the rare kinds, deny/review decisions, and the time (searched by range). Most records are allowed
 * decisions and their outcomes, so a key for `kind: decision` or `action: allow` would point at
 * nearly everything; those filters read the record itself.
 */
import { recordActor, recordSession, recordTables, type RecordBody } from './record.js';
import type { SearchQuery } from './store.js';
import { bareName, tableMatch } from './table-names.js';

export type KeyName = 'time' | 'actor' | 'session' | 'table' | 'bare' | 'kind' | 'decision';

export interface SearchKey {
  name: KeyName;
  value: string;
}

/** Kinds most records have: no key. */
const COMMON_KINDS: ReadonlySet<string> = new Set(['decision', 'outcome']);

/** The keys of a record, without duplicates. */
export function searchKeys(body: RecordBody): SearchKey[] {
  const keys: SearchKey[] = [{ name: 'time', value: body.time }];
  const actor = recordActor(body);
  if (actor !== undefined) keys.push({ name: 'actor', value: actor });
  const session = recordSession(body);
  if (session !== undefined) keys.push({ name: 'session', value: session });
  if (!COMMON_KINDS.has(body.kind)) keys.push({ name: 'kind', value: body.kind });
  if (body.kind === 'decision' && body.action !== 'allow') keys.push({ name: 'decision', value: body.action });
  const bares = new Set<string>();
  for (const table of recordTables(body)) {
    keys.push({ name: 'table', value: table });
    bares.add(bareName(table));
  }
  for (const bare of bares) keys.push({ name: 'bare', value: bare });
  return keys;
}

/** A filter that keys answer: the record has a key `name` with one of `values`. */
export interface KeyCondition {
  name: KeyName;
  values: string[];
}

/**
 * Splits a query into the equality filters keys answer and the rest, which read the record. The
 * time range stays in the rest (records not keyed yet are filtered by their time column); the
 * store narrows keyed records by their time keys as well.
 */
export function keyConditions(query: SearchQuery): { conditions: KeyCondition[]; rest: SearchQuery } {
  const { actor, session, table, kind, decision, ...others } = query;
  const rest: SearchQuery = others;
  const conditions: KeyCondition[] = [];
  if (actor !== undefined) conditions.push({ name: 'actor', values: [actor] });
  if (session !== undefined) conditions.push({ name: 'session', values: [session] });
  if (table !== undefined) {
    const match = tableMatch(table);
    conditions.push(match.bare !== undefined ? { name: 'bare', values: [match.bare] } : { name: 'table', values: match.names });
  }
  if (kind !== undefined) {
    if (COMMON_KINDS.has(kind)) rest.kind = kind;
    else conditions.push({ name: 'kind', values: [kind] });
  }
  if (decision !== undefined) {
    if (decision === 'allow') rest.decision = decision;
    else conditions.push({ name: 'decision', values: [decision] });
  }
  return { conditions, rest };
}

/** Whether a record with `keys` meets every condition. */
export function meetsConditions(keys: readonly SearchKey[], conditions: readonly KeyCondition[]): boolean {
  return conditions.every((c) => keys.some((k) => k.name === c.name && c.values.includes(k.value)));
}

/** Whether two key lists hold the same keys, in any order. */
export function sameKeys(a: readonly SearchKey[], b: readonly SearchKey[]): boolean {
  if (a.length !== b.length) return false;
  const text = (keys: readonly SearchKey[]): string[] => keys.map((k) => `${k.name}\u0000${k.value}`).sort();
  const [x, y] = [text(a), text(b)];
  return x.every((v, i) => v === y[i]);
}
