/**
 * The proxy's Prometheus metrics, registered on a registry the caller owns (no process-wide default
 * registry), so two proxies in one process — tests, or the proxy beside the MCP server — never mix
 * their figures. Names and labels are listed in docs/operations.md.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { Action, ActorKind } from '../policy/types.js';

/** Figures read at scrape time from the running parts. */
export interface MetricSources {
  /** Client connections open now, authenticated or not. */
  clientSockets(): number;
  /** Audit records queued or being written. */
  auditQueueDepth(): number;
}

const ACTOR_KINDS: readonly ActorKind[] = ['human', 'agent', 'pipeline', 'service'];

/** Seconds; decisions are sub-millisecond when cached, tens of ms with catalog or impact look-ups. */
const DECISION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const UPSTREAM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class ProxyMetrics {
  readonly #connections: Gauge<'kind'>;
  readonly #refused: Counter<'reason'>;
  readonly #statements: Counter<'decision' | 'rule'>;
  readonly #ruleDecisions: Counter<'rule' | 'decision'>;
  readonly #decisionSeconds: Histogram;
  readonly #upstreamSeconds: Histogram;
  readonly #auditFailures: Counter;
  readonly #timeouts: Counter<'kind'>;
  readonly #reloads: Counter<'result'>;
  #sources: MetricSources = { clientSockets: () => 0, auditQueueDepth: () => 0 };

  constructor(readonly registry: Registry) {
    const registers = [registry];
    collectDefaultMetrics({ register: registry });
    this.#connections = new Gauge({ name: 'parapet_client_connections', help: 'Authenticated client sessions open now, by actor kind', labelNames: ['kind'], registers });
    for (const kind of ACTOR_KINDS) this.#connections.set({ kind }, 0);
    const sources = (): MetricSources => this.#sources;
    new Gauge({
      name: 'parapet_client_sockets',
      help: 'Client connections open now, including those still authenticating',
      registers,
      collect() {
        this.set(sources().clientSockets());
      },
    });
    this.#refused = new Counter({ name: 'parapet_connections_refused_total', help: 'Connections refused with 53300, by limit', labelNames: ['reason'], registers });
    this.#statements = new Counter({
      name: 'parapet_statements_total',
      help: 'Statements decided, by decision and by the first rule that decided (`none` when no rule did)',
      labelNames: ['decision', 'rule'],
      registers,
    });
    this.#ruleDecisions = new Counter({
      name: 'parapet_rule_decisions_total',
      help: 'Decisions each rule took part in (a statement stopped by two rules counts for both)',
      labelNames: ['rule', 'decision'],
      registers,
    });
    this.#decisionSeconds = new Histogram({ name: 'parapet_decision_duration_seconds', help: 'Time to decide a text: analysis, catalog, impact and policy', buckets: DECISION_BUCKETS, registers });
    this.#upstreamSeconds = new Histogram({
      name: 'parapet_upstream_duration_seconds',
      help: 'Time from forwarding a statement upstream to its completion',
      buckets: UPSTREAM_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'parapet_audit_queue_depth',
      help: 'Audit records queued or being written',
      registers,
      collect() {
        this.set(sources().auditQueueDepth());
      },
    });
    this.#auditFailures = new Counter({ name: 'parapet_audit_write_failures_total', help: 'Audit records the store could not write (their statements were refused)', registers });
    this.#timeouts = new Counter({ name: 'parapet_session_timeouts_total', help: 'Sessions closed or statements cancelled by a timeout, by kind (idle, statement)', labelNames: ['kind'], registers });
    this.#reloads = new Counter({ name: 'parapet_policy_reloads_total', help: 'Policy reloads (SIGHUP), by result (ok, rejected)', labelNames: ['result'], registers });
  }

  /** Where scrape-time figures come from, once the proxy runs. */
  setSources(sources: MetricSources): void {
    this.#sources = sources;
  }

  sessionOpened(kind: ActorKind): void {
    this.#connections.inc({ kind });
  }

  sessionClosed(kind: ActorKind): void {
    this.#connections.dec({ kind });
  }

  refused(reason: 'max-connections' | 'max-connections-per-actor'): void {
    this.#refused.inc({ reason });
  }

  statement(action: Action, rules: readonly string[]): void {
    this.#statements.inc({ decision: action, rule: rules[0] ?? 'none' });
    for (const rule of rules) this.#ruleDecisions.inc({ rule, decision: action });
  }

  decisionTime(seconds: number): void {
    this.#decisionSeconds.observe(seconds);
  }

  upstreamTime(seconds: number): void {
    this.#upstreamSeconds.observe(seconds);
  }

  auditWriteFailed(): void {
    this.#auditFailures.inc();
  }

  timeout(kind: 'idle' | 'statement'): void {
    this.#timeouts.inc({ kind });
  }

  reloaded(ok: boolean): void {
    this.#reloads.inc({ result: ok ? 'ok' : 'rejected' });
  }
}
