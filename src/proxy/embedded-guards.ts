/**
 * The live guards on the embedded default. PGlite has one backend session for everyone, so the
 * catalog cannot have a connection of its own: it reads on the client's session, lent between the
 * client's messages (src/catalog/lent-queries.ts).
 *
 * - At connect, before the relay starts, the catalog is reloaded if the database's next transaction
 *   id moved since it was loaded (someone changed something), then readied.
 * - Before a simple Query, a FunctionCall and the first message of a Sync segment (the relay's
 *   `prepare` hook), a catalog made stale by DDL is reloaded, and whatever the guards may ask of it
 *   is read ahead: the lineage of every user view and the schemas the session's roles may use.
 * - Between loans (while a reply is streaming, in an aborted transaction) the catalog answers from
 *   what it holds; what it does not know is masked strictly (src/results/row-plan.ts).
 * - The catalog is kept across sessions, with no TTL: only the transaction id says it is out of date.
 */
import { CatalogError, LiveCatalog, type CatalogQueries, type CatalogSnapshot, type ResolutionContext } from '../catalog/index.js';
import { withLentQueries, type BorrowedSession, type CatalogReads, type SessionLender } from '../catalog/lent-queries.js';
import type { Policy } from '../policy/policy.js';
import { catalogGuards, type LiveGuardsPort } from './catalog-guards.js';
import { LendRefused } from './relay-loans.js';

export interface EmbeddedGuardsOptions {
  /** The policy in force (read at each session's connect). */
  policy(): Policy;
  environment?: string;
  maskKey?: Buffer;
}

export function embeddedGuards(options: EmbeddedGuardsOptions): LiveGuardsPort {
  const lent = new WeakMap<LiveCatalog, LentCatalog>();
  return catalogGuards({
    ...options,
    keepIdle: true,
    catalog(_database, policy) {
      const queries = new LoanedQueries();
      const catalog = new LiveCatalog({ db: queries, policy, ttlMs: Infinity, keepWhenUnavailable: true });
      lent.set(catalog, new LentCatalog(catalog, queries));
      return catalog;
    },
    async attach(catalog, link, guards) {
      const state = lent.get(catalog)!;
      const resolution = (): ResolutionContext => ({ searchPath: guards.tracker.state });
      await state.connect({ socket: link.socket, reader: link.reader, status: 'I' }, resolution);
      return (lender) => state.prepare(lender, resolution);
    },
  });
}

/** Schemas whose views are PostgreSQL's own: their lineage is read only when asked (never, between loans). */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** The catalog's queries: the reads of the loan in progress, else unavailable. */
class LoanedQueries implements CatalogQueries {
  readonly inTransaction = true;
  #reads: CatalogReads | undefined;

  async during<T>(reads: CatalogReads, work: () => Promise<T>): Promise<T> {
    this.#reads = reads;
    try {
      return await work();
    } finally {
      this.#reads = undefined;
    }
  }

  async rows(sql: string): Promise<(string | null)[][]> {
    return this.#current().rows(sql);
  }

  async describe(sql: string) {
    return this.#current().describe(sql);
  }

  close(): void {}

  #current(): CatalogReads {
    if (!this.#reads) throw new CatalogError('unavailable', 'the embedded catalog reads on the client session, which is not lent to it now');
    return this.#reads;
  }
}

/** One embedded catalog and what has been read ahead for it. */
class LentCatalog {
  /** The next transaction id when the snapshot was loaded. */
  #xid: string | undefined;
  /** The snapshot whose user views' lineage is read, and the search-path states whose schema access is. */
  #warmed: CatalogSnapshot | undefined;
  readonly #paths = new Set<string>();

  constructor(
    readonly catalog: LiveCatalog,
    readonly queries: LoanedQueries,
  ) {}

  /** At connect, on the session before the relay owns it. */
  async connect(session: BorrowedSession, resolution: () => ResolutionContext): Promise<void> {
    await withLentQueries(session, (reads) =>
      this.queries.during(reads, async () => {
        if ((await this.#nextXid()) !== this.#xid) this.catalog.invalidate();
        await this.#warm(resolution);
      }),
    );
  }

  /** The relay's prepare hook: a loan only when something is to be read. */
  prepare(lender: SessionLender, resolution: () => ResolutionContext): Promise<void> | undefined {
    const fresh = this.catalog.fresh;
    if (fresh && fresh === this.#warmed && this.#paths.has(pathKey(resolution()))) return undefined;
    return lender
      .lend((session) => withLentQueries(session, (reads) => this.queries.during(reads, () => this.#warm(resolution))))
      .catch((error: unknown) => {
        // Not now (an aborted transaction, a failed read, the session ended meanwhile): the catalog
        // answers from what it holds.
        if (!(error instanceof CatalogError || error instanceof LendRefused)) throw error;
      });
  }

  async #warm(resolution: () => ResolutionContext): Promise<void> {
    // Read before the snapshot: a change in between makes the next connect reload once more, never miss it.
    const xid = this.catalog.fresh ? undefined : await this.#nextXid();
    const snapshot = await this.catalog.snapshot();
    if (xid !== undefined) this.#xid = xid;
    if (this.#warmed !== snapshot) {
      this.#paths.clear();
      for (const entry of snapshot.relations.values()) {
        // A view whose lineage cannot be read stays unread: its fields are masked strictly.
        if ((entry.kind === 'view' || entry.kind === 'materialized-view') && !SYSTEM_SCHEMAS.has(entry.schema)) await this.catalog.factsFor(entry.oid).catch(() => undefined);
      }
      this.#warmed = snapshot;
    }
    const context = resolution();
    await this.catalog.effectivePaths(context);
    this.#paths.add(pathKey(context));
  }

  async #nextXid(): Promise<string | undefined> {
    const [[xid] = []] = await this.queries.rows('SELECT pg_snapshot_xmax(pg_current_snapshot())');
    return xid ?? undefined;
  }
}

function pathKey(context: ResolutionContext): string {
  return JSON.stringify(context.searchPath);
}
