/** Prometheus metrics and health endpoints of the proxy. */
export { ProxyMetrics, type MetricSources } from './proxy-metrics.js';
export { observedAudit } from './observed-audit.js';
export { timedGuard } from './timed-guard.js';
export { AuditHealth, cachedCheck, type CheckResult } from './health.js';
export { startMetricsServer, type Checks, type MetricsServer, type MetricsServerOptions } from './http.js';
