/**
 * Live lineage: follows the audit trail's committed records, and sends the OpenLineage events of
 * every transaction that wrote, once it ended. Never blocks or fails the audit: transport trouble
 * shows in `stats()`.
 */
import type { AuditTrail } from '../audit/trail.js';
import { runEvents, type OpenLineageOptions } from './openlineage.js';
import { LineageTracker } from './tracker.js';
import { openTransport, type TransportConfig, type TransportStats } from './transport.js';

export interface LineageConfig extends Partial<OpenLineageOptions> {
  /** Where events go. */
  transport: TransportConfig;
}

export interface LineageEmitter {
  stats(): TransportStats & { pendingSessions: number; errors: number };
  close(): Promise<void>;
}

/** The dataset namespace when none is configured. */
export const DEFAULT_NAMESPACE = 'postgres://localhost:5432';

export function attachLineage(trail: AuditTrail, config: LineageConfig): LineageEmitter {
  const tracker = new LineageTracker();
  const transport = openTransport(config.transport);
  const options: OpenLineageOptions = {
    namespace: config.namespace ?? DEFAULT_NAMESPACE,
    ...(config.jobNamespace ? { jobNamespace: config.jobNamespace } : {}),
    ...(config.producer ? { producer: config.producer } : {}),
  };
  let errors = 0;
  trail.onCommit((records) => {
    for (const record of records) {
      try {
        for (const transaction of tracker.feed(record)) transport.send(runEvents(transaction, options));
      } catch {
        errors++;
      }
    }
  });
  const emitter: LineageEmitter = {
    stats: () => ({ ...transport.stats(), pendingSessions: tracker.pending(), errors }),
    close: () => transport.close(),
  };
  trail.onClose(() => emitter.close());
  return emitter;
}
