/**
 * The search path, as PostgreSQL computes it (namespace.c, recomputeNamespacePath): the setting is a
 * comma-separated identifier list (`SplitIdentifierString`); `$user` is the current role's schema;
 * schemas that do not exist or lack USAGE are skipped; `pg_catalog` comes first unless listed, and
 * the session's temporary schema before everything unless listed.
 *
 * A session may not know its search path exactly (a SET inside a transaction that may roll back, a
 * value computed at run time): `SearchPathState` then holds every path that may be in force, and a
 * lookup considers each — for a guard, the cautious answer is all the candidates.
 */
import { CatalogError } from './errors.js';

/** Placeholder for the session's own temporary schema (its real name is pg_temp_N of that backend). */
export const TEMP_SCHEMA = 'pg_temp';
const NAMEDATALEN = 64;

/** Splits a search_path value like PostgreSQL: unquoted names are lower-cased, quoted ones kept, `""` is a quote. */
export function parseSearchPath(text: string): string[] {
  const names: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipSpace();
  if (i === text.length) return names;
  for (;;) {
    let name = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new CatalogError('bad-search-path', `unterminated quoted name in search_path \`${text}\``);
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        name += text[i];
      }
      i++;
    } else {
      const start = i;
      while (i < text.length && text[i] !== ',' && !/\s/.test(text[i]!)) i++;
      if (i === start) throw new CatalogError('bad-search-path', `empty name in search_path \`${text}\``);
      name = text.slice(start, i).toLowerCase();
    }
    names.push(truncateName(name));
    skipSpace();
    if (i === text.length) return names;
    if (text[i] !== ',') throw new CatalogError('bad-search-path', `unexpected \`${text[i]}\` in search_path \`${text}\``);
    i++;
    skipSpace();
  }
}

/** Identifiers longer than NAMEDATALEN-1 bytes are truncated (on a character boundary). */
function truncateName(name: string): string {
  if (Buffer.byteLength(name) < NAMEDATALEN) return name;
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch) >= NAMEDATALEN) break;
    out += ch;
  }
  return out;
}

export interface SchemaAccess {
  /** Whether a schema of that name exists and the role may use it; `maybe` when that cannot be told. */
  usable(schema: string, role: string): boolean | 'maybe';
}

/**
 * The schemas a search path setting means for a role, in lookup order (a schema whose usability is
 * `maybe` is kept: a lookup must not skip a schema that may be searched). `TEMP_SCHEMA` stands for
 * the session's temporary schema (which only matters for relations: functions are never looked up there).
 */
export function effectiveSchemas(setting: readonly string[], role: string, access: SchemaAccess): string[] {
  const out: string[] = [];
  let tempListed = false;
  for (const name of setting) {
    if (name === '$user') {
      if (access.usable(role, role) !== false && !out.includes(role)) out.push(role);
    } else if (name === TEMP_SCHEMA) {
      tempListed = true;
      if (!out.includes(TEMP_SCHEMA)) out.push(TEMP_SCHEMA);
    } else if (access.usable(name, role) !== false && !out.includes(name)) {
      out.push(name);
    }
  }
  if (!out.includes('pg_catalog')) out.unshift('pg_catalog');
  if (!tempListed) out.unshift(TEMP_SCHEMA);
  return out;
}

/** Where new unqualified objects are created: the first listed schema that exists (not pg_catalog, not temp). */
export function creationSchema(setting: readonly string[], role: string, access: SchemaAccess): string | undefined {
  for (const name of setting) {
    const schema = name === '$user' ? role : name;
    if (schema !== TEMP_SCHEMA && access.usable(schema, role) === true) return schema;
  }
  return undefined;
}

/** What a session's search path may be: one known setting, several candidates, or anything. */
export type SearchPathState = { settings: string[][]; roles: string[] } | 'unknown';

/** The settings a statement's search_path change may leave in force. */
export interface SearchPathChange {
  /** `set`: to `value`; `reset`: back to the session default; `unknown`: computed at run time. */
  kind: 'set' | 'reset' | 'unknown';
  value?: string;
  /** The change might be undone (SET LOCAL, a SET inside a transaction block that may roll back). */
  revertible: boolean;
}

/**
 * The session's search path as far as Parapet can tell: starts from the value the session began
 * with (`SHOW search_path` at connect), follows SETs that pass through, and is made exact again by
 * `resync` whenever the door can ask the session.
 */
export class SearchPathTracker {
  #initial: string[];
  #state: SearchPathState;

  constructor(initialSetting: string, role: string) {
    this.#initial = parseSearchPath(initialSetting);
    this.#state = { settings: [this.#initial], roles: [role] };
  }

  get state(): SearchPathState {
    return this.#state;
  }

  /** The exact value, read from the session (`SHOW search_path`, `current_user`). */
  resync(setting: string, role: string): void {
    this.#state = { settings: [parseSearchPath(setting)], roles: [role] };
  }

  /** A search_path change that succeeded. */
  changed(change: SearchPathChange): void {
    if (this.#state === 'unknown') return;
    let next: string[][] | undefined;
    if (change.kind === 'reset') next = [this.#initial];
    else if (change.kind === 'set' && change.value !== undefined) next = candidateSettings(change.value);
    if (next === undefined) {
      this.#state = 'unknown';
      return;
    }
    this.#state = { settings: change.revertible ? addUnique(this.#state.settings, next) : next, roles: this.#state.roles };
  }

  /** A role change (SET ROLE, SET SESSION AUTHORIZATION): `$user` may now mean another role. */
  roleChanged(role: string | undefined): void {
    if (this.#state === 'unknown') return;
    if (role === undefined) this.#state = 'unknown';
    else if (!this.#state.roles.includes(role)) this.#state = { ...this.#state, roles: [...this.#state.roles, role] };
  }
}

/**
 * A value as the analyser reports it (`a, B, public`): the names of a `SET … TO a, "B"` already
 * unquoted, or a string literal (`SET search_path = 'A,b'`) that PostgreSQL splits and lower-cases
 * itself. The text cannot tell which, so both readings are candidates.
 */
function candidateSettings(value: string): string[][] {
  const asWritten = value.split(',').map((part) => part.trim()).filter((name) => name !== '');
  let asLiteral: string[] | undefined;
  try {
    asLiteral = parseSearchPath(value);
  } catch {
    asLiteral = undefined;
  }
  return asLiteral === undefined ? [asWritten] : addUnique([asWritten], [asLiteral]);
}

function addUnique(settings: string[][], more: string[][]): string[][] {
  const out = [...settings];
  for (const next of more) {
    const key = next.join('\0');
    if (!out.some((s) => s.join('\0') === key)) out.push(next);
  }
  return out;
}
