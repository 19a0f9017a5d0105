/**
 * The live guards of the proxy in front of a real upstream (the shared part: catalog-guards.ts): one
 * live catalog per upstream database, read on Parapet's own connection; and how a session's guard
 * decides alongside the policy's guard.
 */
import { LiveCatalog, catalogConnection } from '../catalog/index.js';
import { strictest } from '../policy/combine.js';
import type { GuardInput, GuardResult } from '../guard/types.js';
import type { Policy } from '../policy/policy.js';
import type { Decision } from '../policy/types.js';
import type { UpstreamConnection } from '../upstream/connect.js';
import { catalogGuards, type LiveGuardsPort, type LiveSessionGuards } from './catalog-guards.js';
import { GuardLayer } from './guard-layer.js';
import type { GuardPort } from './ports.js';

export type { LiveGuardsPort, LiveSessionGuards } from './catalog-guards.js';

export interface LiveGuardsOptions {
  /** The policy in force (read at each session's connect). */
  policy(): Policy;
  environment?: string;
  /** Opens Parapet's own upstream session on a database, for its catalog. */
  open(database: string): Promise<UpstreamConnection>;
  /** The key of the `hash` mask style; random per process when absent (hashes then differ across restarts). */
  maskKey?: Buffer;
}

/** The live guards in front of a real upstream: each database's catalog reads on Parapet's own connection. */
export function liveGuards(options: LiveGuardsOptions): LiveGuardsPort {
  const { open, ...shared } = options;
  return catalogGuards({
    ...shared,
    catalog: (database, policy) => new LiveCatalog({ db: catalogConnection({ open: () => open(database) }), policy }),
  });
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
  return new SessionGuard(base, guards, decorate);
}

/** The session's guards alone, with the base guard's actors and connect decision. */
class OwnGuard extends GuardLayer {
  constructor(
    base: GuardPort,
    private readonly guards: LiveSessionGuards,
  ) {
    super(base);
  }

  evaluate(request: GuardInput): Promise<GuardResult> {
    return this.guards.evaluate(request);
  }
}

class SessionGuard extends GuardLayer {
  readonly #own: GuardPort;

  constructor(
    base: GuardPort,
    private readonly guards: LiveSessionGuards,
    decorate: (guard: GuardPort) => GuardPort,
  ) {
    super(base);
    this.#own = decorate(new OwnGuard(base, guards));
  }

  evaluate(request: GuardInput): Promise<GuardResult> {
    return this.guards.current() ? this.#own.evaluate(request) : layered(this.inner, this.guards, request);
  }
}

/** The current policy's guard first, then the session's (built from an earlier policy) on what it allows. */
async function layered(base: GuardPort, guards: LiveSessionGuards, request: GuardInput): Promise<GuardResult> {
  const decided = (d: Decision) => d.action !== 'allow' && !d.reasons.every((r) => r.action === 'allow' || guards.sized.has(r.rule));
  const plain = await base.evaluate(request);
  if (plain.decisions.length > 0 && plain.decisions.every(decided)) return plain;
  const live = await guards.evaluate({ ...request, analysis: plain.analysis });
  const decisions: Decision[] = plain.analysis.statements.map((_, i) => {
    const first = plain.decisions[i] ?? plain.decision;
    return decided(first) ? first : (live.decisions[i] ?? live.decision);
  });
  return { analysis: live.analysis, decisions, decision: strictest(decisions) };
}
