/**
 * The operational layer around the proxy's core ports, wired once in start.ts: live (reloadable)
 * rules, the pinned statement timeout, per-actor connection limits, session lifecycles (timeouts,
 * graceful drain), and metrics with the health endpoints. Each piece wraps a port, so the session
 * and relay code stays as it is.
 */
import { Registry } from 'prom-client';
import type { AuditTrail } from '../audit/index.js';
import type { ParapetConfig } from '../config/types.js';
import { formatHostPort } from '../config/units.js';
import { AuditHealth, ProxyMetrics, cachedCheck, observedAudit, startMetricsServer, timedGuard, type CheckResult, type MetricsServer } from '../metrics/index.js';
import { SessionLifecycles } from './lifecycle.js';
import { ActorConnections, limitedProvider, limitsFor } from './limits.js';
import type { Actor } from '../policy/types.js';
import { LiveRules, type ReloadResult, type Rules } from './live-rules.js';
import { pinStatementTimeout } from './pinned-timeout.js';
import type { AuditPort, CredentialsPort, GuardPort, ProxyLog, UpstreamProvider } from './ports.js';
import type { ProxyServer } from './server.js';

export interface OperationsOptions {
  config: ParapetConfig;
  log: ProxyLog;
  rules: Rules;
  /** Loads the rules again (SIGHUP); throws with located errors when the files are wrong. */
  loadRules: () => Rules;
  /** The registry metrics go to; a new one when absent. */
  registry?: Registry;
}

export class Operations {
  readonly registry: Registry;
  readonly metrics: ProxyMetrics;
  readonly lifecycle: SessionLifecycles;
  readonly guard: GuardPort;
  readonly credentials: CredentialsPort;
  readonly #rules: LiveRules;
  readonly #connections = new ActorConnections();
  #http: MetricsServer | undefined;
  #listening = false;
  /** The actor's pinned statement timeout; one function for every session's guard. */
  readonly #timeoutOf = (actor: Actor): number | undefined => limitsFor(actor, this.options.config.limits).statementTimeoutMs;

  constructor(private readonly options: OperationsOptions) {
    const { config, log } = options;
    this.registry = options.registry ?? new Registry();
    this.metrics = new ProxyMetrics(this.registry);
    this.#rules = new LiveRules(options.rules, options.loadRules, log);
    this.credentials = this.#rules.credentials;
    this.guard = this.decorate(this.#rules.guard);
    this.lifecycle = new SessionLifecycles(config.limits, log, {
      timeout: (kind) => this.metrics.timeout(kind),
      refused: (reason) => this.metrics.refused(reason),
    });
  }

  /** A guard with the proxy's own checks (the pinned statement timeout) and the decision metrics. */
  decorate(guard: GuardPort): GuardPort {
    const pinned = pinStatementTimeout(guard, this.#timeoutOf);
    return timedGuard(pinned, this.metrics);
  }

  /** The upstream provider with per-actor limits and the actor's statement timeout. */
  upstream(provider: UpstreamProvider): UpstreamProvider {
    return limitedProvider(provider, {
      limits: this.options.config.limits,
      connections: this.#connections,
      onRefused: () => this.metrics.refused('max-connections-per-actor'),
    });
  }

  /** The audit trail as the proxy writes it: observed for metrics and health. */
  audit(trail: AuditTrail): { port: AuditPort; health: AuditHealth } {
    const health = new AuditHealth(() => trail.store.head());
    return { port: observedAudit(trail, this.metrics, health), health };
  }

  /** Starts the metrics endpoint when configured; call once the proxy listens. */
  async serve(server: ProxyServer, trail: AuditTrail, health: AuditHealth, upstreamReady: () => Promise<CheckResult>): Promise<void> {
    this.#listening = true;
    this.metrics.setSources({ clientSockets: () => server.connections, auditQueueDepth: () => trail.queueDepth() });
    const listen = this.options.config.metrics?.listen;
    if (!listen) return;
    const listening = async (): Promise<CheckResult> =>
      this.#listening ? { ok: true, detail: `accepting clients on ${formatHostPort(server.address)}` } : { ok: false, detail: 'shutting down' };
    const health$ = async (): Promise<Record<string, CheckResult>> => ({ listening: await listening(), audit: await health.check() });
    const upstream = cachedCheck(upstreamReady);
    this.#http = await startMetricsServer({
      listen,
      registry: this.registry,
      health: health$,
      readiness: async () => ({ ...(await health$()), upstream: await upstream() }),
      onError: (message) => this.options.log.error(message),
    });
    this.options.log.info(`metrics on http://${formatHostPort(this.#http.address)}/metrics (health: /healthz, /readyz)`);
  }

  /** Where the metrics endpoint listens, when it does. */
  get metricsAddress(): { host: string; port: number } | undefined {
    return this.#http?.address;
  }

  /** Reloads the policy and secrets; a bad file leaves the running rules as they are. */
  reload(): ReloadResult {
    const result = this.#rules.reload();
    this.metrics.reloaded(result.ok);
    return result;
  }

  /** Health turns to failing (load balancers stop sending clients) before the sessions drain. */
  stopping(): void {
    this.#listening = false;
  }

  async close(): Promise<void> {
    await this.#http?.close();
    this.#http = undefined;
  }
}
