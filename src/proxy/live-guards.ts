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
import type { GuardPort, UpstreamLink } from './ports.js';

/** What a session asks for at connect; undefined: the session runs without live guards. */
export interface LiveGuardsPort {
  forSession(actor: Actor, database: string, link: UpstreamLink): Promise<SessionGuards | undefined>;
  close(): void;
}

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
  const catalogs = new Map<string, { policy: Policy; catalog: LiveCatalog }>();
  const maskKey = options.maskKey ?? randomBytes(32);
  const catalogFor = (database: string, policy: Policy): LiveCatalog => {
    const known = catalogs.get(database);
    // A reloaded policy brings new tags: its sessions get a catalog built with them.
    if (known && known.policy === policy) return known.catalog;
    known?.catalog.db.close();
    const catalog = new LiveCatalog({ db: catalogConnection({ open: () => options.open(database) }), policy });
    catalogs.set(database, { policy, catalog });
    return catalog;
  };
  return {
    async forSession(actor, database, link) {
      const policy = options.policy();
      const [row] = await simpleQuery(asConnection(link), "SELECT current_setting('search_path'), current_user", { timeoutMs: 10_000 });
      return createSessionGuards({
        policy,
        actor,
        ...(options.environment ? { environment: options.environment } : {}),
        catalog: catalogFor(database, policy),
        searchPath: row?.[0] ?? '"$user", public',
        role: row?.[1] ?? '',
        maskKey,
      });
    },
    close() {
      for (const { catalog } of catalogs.values()) catalog.db.close();
      catalogs.clear();
    },
  };
}

/**
 * The proxy's guard for one session: the policy's guard (with the proxy's own checks, such as the
 * pinned statement timeout) refuses what it refuses; what it allows is decided again by the session's
 * guard, which knows the live catalog and closes the masking side doors, and whose obligations apply.
 */
export function withSessionGuard(base: GuardPort, guards: SessionGuards): GuardPort {
  return {
    actor: (name) => base.actor(name),
    decideConnect: (actor, database, parameters) => base.decideConnect(actor, database, parameters),
    async evaluate(request) {
      const plain = await base.evaluate(request);
      if (plain.decision.action !== 'allow' && plain.decisions.every((d) => d.action !== 'allow')) return plain;
      const live = await guards.evaluate({ ...request, analysis: plain.analysis });
      const decisions: Decision[] = plain.analysis.statements.map((_, i) => {
        const first = plain.decisions[i] ?? plain.decision;
        return first.action !== 'allow' ? first : (live.decisions[i] ?? live.decision);
      });
      return { analysis: live.analysis, decisions, decision: strictest(decisions) };
    },
  };
}

/** The link as the small upstream connection `simpleQuery` runs on (before the relay owns the socket). */
function asConnection(link: UpstreamLink): UpstreamConnection {
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
