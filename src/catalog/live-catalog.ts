/**
 * The live catalog: what the names in a statement and the fields of a result mean in the real
 * database. It holds a snapshot of pg_catalog (see `load.ts`) and refreshes it
 *   - when Parapet lets DDL through (`invalidate()`, called by the door after the statement ran),
 *   - when the snapshot is older than `ttlMs` (changes made by others, outside Parapet),
 *   - when asked about an OID it does not know (a table created since), before answering.
 * Tags and protection come from the policy; views carry the tags of the columns they show.
 */
import type { CatalogPort } from '../guard/types.js';
import type { Policy } from '../policy/policy.js';
import type { RelationFacts, SessionContext } from '../policy/types.js';
import type { RelationName } from '../sql/types.js';
import type { CatalogQueries } from './connection.js';
import { CatalogError } from './errors.js';
import { literal } from './sql-text.js';
import { loadSnapshot } from './load.js';
import { policyTags, type PolicyTags } from './policy-tags.js';
import { creationSchema, effectiveSchemas, TEMP_SCHEMA, type SearchPathState, type SchemaAccess } from './search-path.js';
import type { CatalogSnapshot, RelationEntry } from './snapshot.js';
import { loadViewLineage, type ViewLineage } from './view-lineage.js';

export interface LiveCatalogOptions {
  db: CatalogQueries;
  policy: Policy;
  /** Milliseconds a snapshot is trusted before it is reloaded; default 60000. */
  ttlMs?: number;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /**
   * When a reload finds the catalog's queries unavailable (embedded: no session lent right now), go
   * on with the snapshot in hand, still marked stale; a relation it does not know stays unknown, and
   * the result guards then mask its fields strictly.
   */
  keepWhenUnavailable?: boolean;
}

/** Where a session stands for name resolution: its search path and the role(s) `$user` may mean. */
export interface ResolutionContext {
  searchPath: SearchPathState;
}

/** Per-snapshot memo of derived facts (cleared with the snapshot). */
interface Derived {
  snapshot: CatalogSnapshot;
  usable: Map<string, Promise<Set<string> | undefined>>;
  lineage: Map<number, Promise<ViewLineage>>;
  facts: Map<number, Promise<RelationFacts>>;
}

/** Views on views deeper than this are not followed (a cycle cannot happen, but depth must be bounded). */
const MAX_VIEW_DEPTH = 16;

export class LiveCatalog {
  readonly policy: PolicyTags;
  readonly #db: CatalogQueries;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #keep: boolean;
  #current: Derived | undefined;
  #loading: Promise<Derived> | undefined;
  #stale = false;

  constructor(options: LiveCatalogOptions) {
    this.#db = options.db;
    this.policy = policyTags(options.policy);
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#keep = options.keepWhenUnavailable === true;
  }

  /** The catalog queries it runs on (for the impact port and lineage). */
  get db(): CatalogQueries {
    return this.#db;
  }

  /** Marks the snapshot stale: DDL passed through Parapet. The next lookup reloads. */
  invalidate(): void {
    this.#stale = true;
  }

  /** The current snapshot, reloaded when stale or older than the TTL. */
  async snapshot(): Promise<CatalogSnapshot> {
    return (await this.#derived()).snapshot;
  }

  /** The snapshot lookups use now without reloading; undefined when the next lookup reloads. */
  get fresh(): CatalogSnapshot | undefined {
    const current = this.#current;
    return current && !this.#stale && this.#now() - current.snapshot.loadedAt < this.#ttlMs ? current.snapshot : undefined;
  }

  /** Reloads now (several callers share one reload). */
  async refresh(): Promise<CatalogSnapshot> {
    return (await this.#reload()).snapshot;
  }

  async #derived(): Promise<Derived> {
    const current = this.#current;
    if (current && !this.#stale && this.#now() - current.snapshot.loadedAt < this.#ttlMs) return current;
    return this.#reloadOrKeep();
  }

  async #reloadOrKeep(): Promise<Derived> {
    try {
      return await this.#reload();
    } catch (error) {
      if (this.#keep && this.#current && error instanceof CatalogError && (error.code === 'unavailable' || error.code === 'transaction-aborted')) return this.#current;
      throw error;
    }
  }

  #reload(): Promise<Derived> {
    this.#loading ??= (async () => {
      this.#stale = false;
      try {
        const snapshot = await loadSnapshot(this.#db, this.#now());
        this.#current = { snapshot, usable: new Map(), lineage: new Map(), facts: new Map() };
        return this.#current;
      } catch (error) {
        this.#stale = true;
        throw error;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /**
   * A relation by OID. An OID the snapshot does not know reloads it first — always, unless the
   * snapshot was loaded after this lookup began, in which case the relation is simply not visible.
   * (A minimum snapshot age here once let a view created a moment ago go out unmasked.)
   */
  async relation(oid: number): Promise<RelationEntry | undefined> {
    const asked = this.#now();
    let derived = await this.#derived();
    if (!derived.snapshot.relations.has(oid) && derived.snapshot.loadedAt <= asked) derived = await this.#reloadOrKeep();
    return derived.snapshot.relations.get(oid);
  }

  /** Column lineage of a view or materialized view (memoised per snapshot). */
  async viewLineage(oid: number): Promise<ViewLineage | undefined> {
    const derived = await this.#derived();
    const entry = derived.snapshot.relations.get(oid);
    if (!entry || (entry.kind !== 'view' && entry.kind !== 'materialized-view')) return undefined;
    let lineage = derived.lineage.get(oid);
    if (!lineage) {
      lineage = loadViewLineage(this.#db, oid, entry.columns.keys());
      derived.lineage.set(oid, lineage);
      lineage.catch(() => derived.lineage.delete(oid));
    }
    return lineage;
  }

  /** Facts for one relation: policy tags and protection, its kind and size, and for views the tags of what they show. */
  async factsFor(oid: number): Promise<RelationFacts | undefined> {
    const derived = await this.#derived();
    const entry = derived.snapshot.relations.get(oid);
    if (!entry) return undefined;
    let facts = derived.facts.get(oid);
    if (!facts) {
      facts = this.#buildFacts(entry);
      derived.facts.set(oid, facts);
      facts.catch(() => derived.facts.delete(oid));
    }
    return facts;
  }

  async #buildFacts(entry: RelationEntry): Promise<RelationFacts> {
    const own = this.policy.relation(entry.schema, entry.name);
    const columnTags: Record<string, string[]> = {};
    for (const [column, tags] of Object.entries(own.columnTags)) columnTags[column] = [...tags];
    const lineage = await this.viewLineage(entry.oid);
    if (lineage) {
      for (const [attnum, name] of entry.columns) {
        const sources = await this.columnSources(entry.oid, attnum);
        const tags = new Set([...(columnTags[name] ?? []), ...sources.flatMap((s) => s.tags)]);
        if (tags.size > 0) columnTags[name] = [...tags];
      }
    }
    return {
      schema: entry.schema,
      name: entry.name,
      kind: entry.kind,
      tags: [...own.tags],
      columnTags,
      ...(entry.rows !== undefined ? { rows: entry.rows } : {}),
      ...(own.protected ? { protected: true } : {}),
    };
  }

  /**
   * Every column a relation's column shows or is computed from: itself, and through views down to
   * base tables. Column 0 means the whole row. Views nested deeper than `MAX_VIEW_DEPTH` end in a
   * wildcard source (`column: '*'`, `tags: ['*']`): the catalog cannot say, so it counts as tagged.
   */
  async columnSources(oid: number, attnum: number, depth = 0): Promise<ColumnSource[]> {
    const entry = await this.relation(oid);
    if (!entry) return [];
    if (depth > MAX_VIEW_DEPTH) return [{ relation: oid, schema: entry.schema, table: entry.name, column: '*', tags: ['*'], derived: true }];
    const columns = attnum === 0 ? [...entry.columns] : entry.columns.has(attnum) ? [[attnum, entry.columns.get(attnum)!] as const] : [];
    const lineage = await this.viewLineage(oid);
    const out: ColumnSource[] = [];
    for (const [number, name] of columns) {
      out.push({ relation: oid, schema: entry.schema, table: entry.name, column: name, tags: this.policy.column(entry.schema, entry.name, name), derived: false });
      const column = lineage?.get(number);
      if (!column) continue;
      for (const feeder of column.feeders) {
        for (const source of await this.columnSources(feeder.relation, feeder.column, depth + 1)) {
          out.push(column.origin ? source : { ...source, derived: true });
        }
      }
    }
    return out;
  }

  /**
   * Facts for the relations a statement names, keyed `schema.name`. An unqualified name is looked up
   * through every search path the session may have; when that is ambiguous (a temporary table of the
   * same name, a path Parapet cannot be sure of) every candidate is returned, so rules see them all.
   */
  async resolve(relations: readonly RelationName[], context: ResolutionContext): Promise<Record<string, RelationFacts>> {
    const derived = await this.#derived();
    const out: Record<string, RelationFacts> = {};
    const add = async (oid: number) => {
      const facts = await this.factsFor(oid);
      if (facts) out[`${facts.schema}.${facts.name}`] = facts;
    };
    const policyOnly = (schema: string, name: string) => {
      const key = `${schema}.${name}`;
      if (!out[key]) out[key] = { ...this.policy.relation(schema, name), kind: 'unknown' };
    };
    for (const relation of relations) {
      for (const found of await this.#lookup(derived, relation, context)) {
        if (typeof found === 'number') await add(found);
        else policyOnly(found.schema, relation.name);
      }
    }
    return out;
  }

  /** OIDs a relation name means, or `{schema}` placeholders for names that do not exist (yet). */
  async #lookup(derived: Derived, relation: RelationName, context: ResolutionContext): Promise<(number | { schema: string })[]> {
    const { snapshot } = derived;
    const named = snapshot.relationsNamed.get(relation.name) ?? [];
    const temporary = named.filter((oid) => snapshot.relations.get(oid)!.temporary);
    if (relation.schema !== undefined && relation.schema !== '') {
      if (relation.schema === TEMP_SCHEMA) return temporary.length ? temporary : [{ schema: TEMP_SCHEMA }];
      const oid = snapshot.relationByName.get(`${relation.schema}.${relation.name}`);
      return [oid ?? { schema: relation.schema }];
    }
    const state = context.searchPath;
    if (state === 'unknown') {
      const found: (number | { schema: string })[] = [...named];
      for (const key of this.policy.namesFor(relation.name)) found.push({ schema: key.slice(0, key.length - relation.name.length - 1) });
      return found.length ? found : [{ schema: 'public' }];
    }
    const found = new Set<number>();
    const missing = new Set<string>();
    for (const role of state.roles) {
      const access = await this.#access(derived, role);
      for (const setting of state.settings) {
        let hit = false;
        for (const schema of effectiveSchemas(setting, role, access)) {
          if (schema === TEMP_SCHEMA) {
            // Some session's temporary table: maybe this session's, so a candidate, but keep looking.
            for (const oid of temporary) found.add(oid);
            continue;
          }
          const oid = snapshot.relationByName.get(`${schema}.${relation.name}`);
          if (oid === undefined) continue;
          found.add(oid);
          if (access.usable(schema, role) === true) {
            hit = true;
            break;
          }
        }
        if (!hit) {
          const schema = creationSchema(setting, role, access);
          if (schema) missing.add(schema);
        }
      }
    }
    return [...found, ...[...missing].map((schema) => ({ schema }))];
  }

  /** Which schemas a role may use: `true`/`false`, or `maybe` when the role's privileges cannot be read. */
  async #access(derived: Derived, role: string): Promise<SchemaAccess> {
    let usable = derived.usable.get(role);
    if (!usable) {
      usable = this.#db
        .rows(`SELECT nspname FROM pg_namespace WHERE has_schema_privilege(${literal(role)}, oid, 'USAGE')`)
        .then((rows) => new Set(rows.map(([name]) => name!)))
        .catch(() => undefined);
      derived.usable.set(role, usable);
    }
    const set = await usable;
    const schemas = derived.snapshot.schemas;
    return { usable: (schema: string) => (!schemas.has(schema) ? false : set ? set.has(schema) : 'maybe') };
  }

  /** Each search path the session may have, as schemas in lookup order; `unknown` when it cannot be told. */
  async effectivePaths(context: ResolutionContext): Promise<string[][] | 'unknown'> {
    const state = context.searchPath;
    if (state === 'unknown') return 'unknown';
    const derived = await this.#derived();
    const paths: string[][] = [];
    for (const role of state.roles) {
      const access = await this.#access(derived, role);
      for (const setting of state.settings) paths.push(effectiveSchemas(setting, role, access));
    }
    return paths;
  }

  /** A `CatalogPort` for the guard, resolving through one session's search path. */
  port(context: ResolutionContext | (() => ResolutionContext)): CatalogPort {
    const current = typeof context === 'function' ? context : () => context;
    return { resolve: (relations: readonly RelationName[], _session: SessionContext) => this.resolve(relations, current()) };
  }
}

/** One column a result field shows or may be computed from, with the policy's tags for it. */
export interface ColumnSource {
  relation: number;
  schema: string;
  table: string;
  /** Column name; `*` when the catalog cannot say which column (then `tags` is `['*']`: treat as tagged with anything). */
  column: string;
  tags: string[];
  /** Reached through an expression of a view rather than a plain column reference. */
  derived: boolean;
}
