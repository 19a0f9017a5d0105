/**
 * The live guards of the proxy (docs/guards.md, "Hook points"): one live catalog per upstream
 * database, read on Parapet's own connection and shared by that database's sessions, and for each
 * session its `SessionGuards` — the guard resolving names through the session's real search path,
 * the masking side doors, and the result guards its relay feeds every reply through.
 */
import { randomBytes } from 'node:crypto';
import { LiveCatalog, catalogConnection, createSessionGuards, type SessionGuards } from '../catalog/index.js';
import { strictest } from '../policy/combine.js';
import type { Policy } from '../policy/policy.js';
import type { Actor, Decision } from '../policy/types.js';
import type { UpstreamConnection } from '../upstream/connect.js';
import { simpleQuery } from '../upstream/simple-query.js';
import type { SessionRunner } from '../impact/estimate.js';
import type { ExactSupport } from '../impact/impact-port.js';
import type { GuardPort, UpstreamLink } from './ports.js';

/** What a session asks for at connect; undefined: the session runs without live guards. */
export interface LiveGuardsPort {
  /** `session`: Parapet's own SQL on this session between the client's messages (impact estimates), and exact counts. */
  forSession(actor: Actor, database: string, link: UpstreamLink, session?: { runner: SessionRunner; exact?: ExactSupport }): Promise<LiveSessionGuards | undefined>;
  close(): void;
}

/** A session's guards, with the ids of the policy's max-affected-rows rules they size writes for. */
export type LiveSessionGuards = SessionGuards & {
  readonly sized: ReadonlySet<string>;
  /** Whether the policy these guards were built from is still the one in force (no reload since). */
  current(): boolean;
  /** The session ended: the catalog's connection closes once no session of its database is left. */
  release(): void;
};

export interface LiveGuardsOptions {
  /** The policy in force (read at each session's connect). */
  policy(): Policy;
  environment?: string;
  /** Opens Parapet's own upstream session on a database, for its catalog. */
  open(database: string): Promise<UpstreamConnection>;
  /** The key of the `hash` mask style; random per process when absent (hashes then differ across restarts). */
  maskKey?: Buffer;
}

export function liveGuards(options: LiveGuardsOptions): LiveGuardsPort {
  interface Entry {
    policy: Policy;
    catalog: LiveCatalog;
    sessions: number;
  }
  const catalogs = new Map<string, Entry>();
  const maskKey = options.maskKey ?? randomBytes(32);
  const catalogFor = (database: string, policy: Policy): Entry => {
    const known = catalogs.get(database);
    // A reloaded policy brings new tags: new sessions get a catalog built with them (the old one
    // closes when its last session ends).
    if (known && known.policy === policy) return known;
    const entry = { policy, catalog: new LiveCatalog({ db: catalogConnection({ open: () => options.open(database) }), policy }), sessions: 0 };
    catalogs.set(database, entry);
    return entry;
  };
  const release = (database: string, entry: Entry): void => {
    if (--entry.sessions > 0) return;
    entry.catalog.db.close();
    if (catalogs.get(database) === entry) catalogs.delete(database);
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
      let released = false;
      return Object.assign(guards, {
        sized: sizedRules(policy),
        current: () => options.policy() === policy,
        release() {
          if (released) return;
          released = true;
          release(database, entry);
        },
      });
    },
    close() {
      for (const { catalog } of catalogs.values()) catalog.db.close();
      catalogs.clear();
    },
  };
}

/**
 * The proxy's guard for one session. While the policy the session's guards were built from is in
 * force, the session's guard alone decides — once per statement, with the live catalog, impact
 * figures and the masking side doors — wrapped by `decorate` (the proxy's own checks, such as the
 * pinned statement timeout, and the decision metrics), exactly as the policy's guard is.
 *
 * After a reload, until the session reconnects, its guards still carry the old policy's tags and
 * masking: the current policy's guard (`base`, already decorated) then decides first and refuses
 * what it refuses — except a refusal only for want of an impact figure (`sized`), which the
 * session's guard can measure — and what it allows is decided again by the session's guard. A
 * reload thus applies to the next statement of every session, and never loosens one.
 */
export function withSessionGuard(base: GuardPort, guards: LiveSessionGuards, decorate: (guard: GuardPort) => GuardPort): GuardPort {
  const port = (evaluate: GuardPort['evaluate']): GuardPort => ({
    actor: (name) => base.actor(name),
    decideConnect: (actor, database, parameters) => base.decideConnect(actor, database, parameters),
    evaluate,
  });
  const own = decorate(port((request) => guards.evaluate(request)));
  const afterReload = layered(base, guards);
  return port((request) => (guards.current() ? own.evaluate(request) : afterReload(request)));
}

/** The current policy's guard first, then the session's (built from an earlier policy) on what it allows. */
function layered(base: GuardPort, guards: LiveSessionGuards): GuardPort['evaluate'] {
  const decided = (d: Decision) => d.action !== 'allow' && !d.reasons.every((r) => r.action === 'allow' || guards.sized.has(r.rule));
  return async (request) => {
    const plain = await base.evaluate(request);
    if (plain.decisions.length > 0 && plain.decisions.every(decided)) return plain;
    const live = await guards.evaluate({ ...request, analysis: plain.analysis });
    const decisions: Decision[] = plain.analysis.statements.map((_, i) => {
      const first = plain.decisions[i] ?? plain.decision;
      return decided(first) ? first : (live.decisions[i] ?? live.decision);
    });
    return { analysis: live.analysis, decisions, decision: strictest(decisions) };
  };
}

/** The ids of the policy's max-affected-rows rules (their figure comes from the session). */
export function sizedRules(policy: Policy): Set<string> {
  return new Set(policy.rules.filter((r) => r.definition?.id === 'max-affected-rows').map((r) => r.id));
}

/** The link as the small upstream connection `simpleQuery` runs on (before the relay owns the socket). */
export function asConnection(link: UpstreamLink): UpstreamConnection {
  return {
    socket: link.socket,
    reader: link.reader,
    parameters: new Map(Object.entries(link.parameters)),
    processId: link.processId,
    secretKey: link.secretKey,
    host: 'upstream',
    port: 0,
    encrypted: false,
    cancel: () => link.cancel(),
    close: () => link.close(),
  };
}
