/**
 * The audit trail's public face. The proxy (and every other door) opens one trail at start-up and
 * calls `record()` for each session event, decision, outcome and transaction end:
 *
 *     const audit = await openAudit({ store: 'sqlite', path: '.parapet/audit.db' }, 'proxy-1');
 *     const { seq } = await audit.record(decisionInput({ … }));   // committed: now forward
 *     …
 *     await audit.record({ kind: 'outcome', session, decision: seq, commandTag, rows, durationMs });
 *
 * `record()` rejects when the store cannot write; the caller must then deny (fail closed).
 */
import { hostname } from 'node:os';
import { AuditError } from './errors.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { AuditTrail } from './trail.js';
import type { Redaction } from './record.js';
import type { AuditStore } from './store.js';
import { attachLineage, type LineageConfig } from '../lineage/emitter.js';
import { initParser } from '../sql/index.js';

export type { AuditInput, AuditRecord, AuditActor, Door, RecordBody, RecordKind, Redaction } from './record.js';
export type { AuditStore, ChainHead, SearchQuery } from './store.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export { AuditTrail, type CommitListener } from './trail.js';
export { decisionInput, type DecisionContext } from './decision-input.js';
export { transactionEnd, type ReadyStatus } from './transaction.js';

interface CommonConfig {
  /** OpenLineage events for every committed (or rolled-back) write, sent as they happen. */
  lineage?: LineageConfig;
  /** HMAC-SHA-256 key for the chain; defaults to the PARAPET_AUDIT_KEY environment variable. */
  hmacKey?: string;
  /** Statement text in records: `literals` (default) replaces every constant; passwords are always redacted. */
  redact?: Redaction;
}

export interface SqliteAuditConfig extends CommonConfig {
  store: 'sqlite';
  /** Database file (default `.parapet/audit.db`, relative to the working directory). */
  path: string;
  /** `normal` (default) survives a process crash; `full` also survives power loss. */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another writer's lock before failing (ms, default 10000). */
  busyTimeoutMs?: number;
}

export interface PostgresAuditConfig extends CommonConfig {
  store: 'postgres';
  /** Connection URL of a database actors cannot reach through the proxy. */
  url: string;
  /** Schema holding the tables (default `parapet_audit`). */
  schema?: string;
  /** Connections in the store's pool (default 4). */
  poolSize?: number;
}

export type AuditConfig = SqliteAuditConfig | PostgresAuditConfig;

export const DEFAULT_AUDIT_PATH = '.parapet/audit.db';

/** A default instance id: host name and process id. */
export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}`;
}

/** Opens the configured store for writing (creating it and its genesis record when new). */
export async function openStore(config: AuditConfig, instance: string): Promise<AuditStore> {
  const hmacKey = config.hmacKey ?? process.env.PARAPET_AUDIT_KEY ?? undefined;
  const key = hmacKey ? { hmacKey } : {};
  switch (config.store) {
    case 'sqlite':
      return SqliteAuditStore.open({
        path: config.path,
        instance,
        ...key,
        ...(config.synchronous ? { synchronous: config.synchronous } : {}),
        ...(config.busyTimeoutMs !== undefined ? { busyTimeoutMs: config.busyTimeoutMs } : {}),
      });
    case 'postgres': {
      // node-postgres loads only for this store: the SQLite default (and `serve` on it) never needs it.
      const { PostgresAuditStore } = await import('./postgres-store.js');
      return PostgresAuditStore.open({
        url: config.url,
        instance,
        ...key,
        ...(config.schema ? { schema: config.schema } : {}),
        ...(config.poolSize ? { poolSize: config.poolSize } : {}),
      });
    }
    default:
      throw new AuditError('bad-config', `unknown audit store \`${(config as { store: string }).store}\``, {
        hint: 'use `sqlite` or `postgres`',
      });
  }
}

/** Opens the trail the proxy writes to. */
export async function openAudit(config: AuditConfig, instanceId = defaultInstanceId()): Promise<AuditTrail> {
  const redact = config.redact ?? 'literals';
  if (redact !== 'literals' && redact !== 'none') {
    throw new AuditError('bad-config', `unknown redaction \`${String(redact)}\``, { hint: 'use `literals` or `none`' });
  }
  const store = await openStore(config, instanceId);
  const trail = new AuditTrail(store, { instance: instanceId, redact });
  if (config.lineage) {
    // Column lineage parses statements; the proxy has the parser loaded already, other doors may not.
    await initParser();
    attachLineage(trail, config.lineage);
  }
  return trail;
}
