/**
 * The audit port as the metrics see it: every record the proxy writes passes here, so one wrapper
 * counts decided statements (with their final decision, the proxy's own refusals included), times
 * upstream statements (from their outcome records), follows sessions by actor kind, and notes
 * whether the store still writes — without a hook in the relay.
 */
import type { AuditInput } from '../audit/index.js';
import type { ActorKind } from '../policy/types.js';
import type { AuditPort } from '../proxy/ports.js';
import type { AuditHealth } from './health.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export function observedAudit(audit: AuditPort, metrics: ProxyMetrics, health: AuditHealth): AuditPort {
  /** Sessions that recorded `connect`, by id: only these are counted down at `disconnect`. */
  const open = new Map<string, ActorKind>();
  const observe = (input: AuditInput): void => {
    switch (input.kind) {
      case 'decision':
        metrics.statement(input.action, input.rules);
        break;
      case 'outcome':
        metrics.upstreamTime(input.durationMs / 1000);
        break;
      case 'session':
        if (input.event === 'connect' && input.actor) {
          open.set(input.session, input.actor.kind);
          metrics.sessionOpened(input.actor.kind);
        } else if (input.event === 'disconnect') {
          const kind = open.get(input.session);
          if (kind === undefined) break;
          open.delete(input.session);
          metrics.sessionClosed(kind);
        }
        break;
    }
  };
  return {
    record(input) {
      observe(input);
      const written = audit.record(input);
      written.then(
        () => health.written(),
        (error: unknown) => {
          metrics.auditWriteFailed();
          health.failed(error);
        },
      );
      return written;
    },
  };
}
