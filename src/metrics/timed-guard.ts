/** The guard port with every evaluation timed into the decision latency histogram. */
import type { GuardInput, GuardResult } from '../guard/types.js';
import { GuardLayer } from '../proxy/guard-layer.js';
import type { GuardPort } from '../proxy/ports.js';
import type { ProxyMetrics } from './proxy-metrics.js';

class TimedGuard extends GuardLayer {
  constructor(
    inner: GuardPort,
    private readonly metrics: ProxyMetrics,
  ) {
    super(inner);
  }

  async evaluate(request: GuardInput): Promise<GuardResult> {
    const started = performance.now();
    try {
      return await this.inner.evaluate(request);
    } finally {
      this.metrics.decisionTime((performance.now() - started) / 1000);
    }
  }
}

export function timedGuard(guard: GuardPort, metrics: ProxyMetrics): GuardPort {
  return new TimedGuard(guard, metrics);
}
