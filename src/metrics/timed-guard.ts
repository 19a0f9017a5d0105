/** The guard port with every evaluation timed into the decision latency histogram. */
import type { GuardPort } from '../proxy/ports.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export function timedGuard(guard: GuardPort, metrics: ProxyMetrics): GuardPort {
  return {
    actor: (name) => guard.actor(name),
    decideConnect: (actor, database, parameters) => guard.decideConnect(actor, database, parameters),
    async evaluate(request) {
      const started = performance.now();
      try {
        return await guard.evaluate(request);
      } finally {
        metrics.decisionTime((performance.now() - started) / 1000);
      }
    },
  };
}
