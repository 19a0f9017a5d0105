/**
 * What the live guards of every kind share (docs/guards.md, "Hook points"): one live catalog per
 * database, built with the tags of the policy in force and shared by that database's sessions, and
 * for each session its `SessionGuards` — the guard resolving names through the session's real search
 * path, the masking side doors, and the result guards its relay feeds every reply through. Where the
 * catalog reads is the caller's: a connection of its own (live-guards.ts) or the client's session,
 * lent between its messages (embedded-guards.ts).
 */
import { randomBytes } from 'node:crypto';
import { createSessionGuards, type LiveCatalog, type SessionGuards } from '../catalog/index.js';
import type { DoorCapabilities } from '../policy/combine.js';
import type { Policy } from '../policy/policy.js';
import type { Actor } from '../policy/types.js';
import { simpleQuery } from '../upstream/simple-query.js';
import type { SessionRunner } from '../impact/estimate.js';
import type { ExactSupport } from '../impact/impact-port.js';
import { asConnection } from './link-connection.js';
import type { UpstreamLink } from './ports.js';
import type { SessionPrepare } from './relay.js';

/**
 * What a session with live guards enforces besides read-only sessions: masking (every style), result
 * caps (both modes) and exact affected-row counts. Every session of a Parapet proxy has them — on the embedded default too —
 * so `parapet mcp`'s check decides with them as well.
 */
export const GUARDED_CAPABILITIES = { mask: true, maxResultRows: true, maxAffectedRows: true } as const satisfies DoorCapabilities;

/** Parapet's own SQL on a client's session between its messages (impact estimates), and exact counts. */
export interface SessionQueries {
  runner: SessionRunner;
  exact?: ExactSupport;
}

/** What a session asks for at connect; undefined: the session runs without live guards. */
export interface LiveGuardsPort {
  forSession(actor: Actor, database: string, link: UpstreamLink, session?: SessionQueries): Promise<LiveSessionGuards | undefined>;
  close(): void;
}

/** A session's guards, with the ids of the policy's max-affected-rows rules they size writes for. */
export type LiveSessionGuards = SessionGuards & {
  readonly sized: ReadonlySet<string>;
  /** Whether the policy these guards were built from is still the one in force (no reload since). */
  current(): boolean;
  /** The session ended: a catalog with a connection of its own closes it once no session of its database is left. */
  release(): void;
  /** For the relay: reads the catalog on the session between its messages (see `RelayOptions.prepare`). */
  readonly prepare?: SessionPrepare;
};

export interface CatalogGuardsOptions {
  /** The policy in force (read at each session's connect). */
  policy(): Policy;
  environment?: string;
  /** The key of the `hash` mask style; random per process when absent (hashes then differ across restarts). */
  maskKey?: Buffer;
  /** A new catalog of a database, with a policy's tags. */
  catalog(database: string, policy: Policy): LiveCatalog;
  /** Keep a database's catalog when its last session ends (it has no connection of its own to close). */
  keepIdle?: boolean;
  /** At connect, before the relay starts: readies the catalog on the session; returns the session's prepare hook. */
  attach?(catalog: LiveCatalog, link: UpstreamLink, guards: SessionGuards): Promise<SessionPrepare | undefined>;
}

export function catalogGuards(options: CatalogGuardsOptions): LiveGuardsPort {
  interface Entry {
    policy: Policy;
    catalog: LiveCatalog;
    sessions: number;
    /** The policy's max-affected-rows rules: one set for the sessions of this entry. */
    sized: ReadonlySet<string>;
  }
  const catalogs = new Map<string, Entry>();
  const maskKey = options.maskKey ?? randomBytes(32);
  const catalogFor = (database: string, policy: Policy): Entry => {
    const known = catalogs.get(database);
    // A reloaded policy brings new tags: new sessions get a catalog built with them (the old one
    // closes when its last session ends).
    if (known && known.policy === policy) return known;
    const entry = { policy, catalog: options.catalog(database, policy), sessions: 0, sized: sizedRules(policy) };
    if (known && known.sessions === 0) known.catalog.db.close();
    catalogs.set(database, entry);
    return entry;
  };
  const release = (database: string, entry: Entry): void => {
    if (--entry.sessions > 0) return;
    const replaced = catalogs.get(database) !== entry;
    if (options.keepIdle && !replaced) return;
    entry.catalog.db.close();
    if (!replaced) catalogs.delete(database);
  };
  return {
    async forSession(actor, database, link, session) {
      const policy = options.policy();
      const [row] = await simpleQuery(asConnection(link), "SELECT current_setting('search_path'), current_user", { timeoutMs: 10_000 });
      const entry = catalogFor(database, policy);
      const guards = createSessionGuards({
        policy,
        actor,
        ...(options.environment ? { environment: options.environment } : {}),
        catalog: entry.catalog,
        searchPath: row?.[0] ?? '"$user", public',
        role: row?.[1] ?? '',
        maskKey,
        ...(session ? { session } : {}),
      });
      entry.sessions++;
      let prepare: SessionPrepare | undefined;
      try {
        prepare = await options.attach?.(entry.catalog, link, guards);
      } catch (error) {
        release(database, entry);
        throw error;
      }
      let released = false;
      return Object.assign(guards, {
        sized: entry.sized,
        current: () => options.policy() === policy,
        release() {
          if (released) return;
          released = true;
          release(database, entry);
        },
        ...(prepare ? { prepare } : {}),
      });
    },
    close() {
      for (const { catalog } of catalogs.values()) catalog.db.close();
      catalogs.clear();
    },
  };
}

/** The ids of the policy's max-affected-rows rules (their figure comes from the session). */
export function sizedRules(policy: Policy): Set<string> {
  return new Set(policy.rules.filter((r) => r.definition?.id === 'max-affected-rows').map((r) => r.id));
}
