/**
 * Defaults of every configuration key, in one place so the docs and `--help` can cite them.
 * The listen port 6543 clashes with neither PostgreSQL (5432) nor PgBouncer (6432).
 */
import type { AuditSettings, Limits } from './types.js';

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 6543 } as const;

export const DEFAULT_CONFIG_FILE = 'parapet.yaml';

/** Relative to the config file's folder (or the working directory without one). */
export const DEFAULT_AUDIT_PATH = '.parapet/audit.db';

export const DEFAULT_AUDIT: AuditSettings = { store: 'sqlite', path: DEFAULT_AUDIT_PATH };

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 64 * 1024 * 1024,
  authTimeoutMs: 60_000,
  upstreamWaitMs: 30_000,
  maxConnections: 1000,
  maxPendingMessages: 1024,
  shutdownTimeoutMs: 30_000,
};

/** The metrics address the docs use as the example (metrics are served only when configured). */
export const DEFAULT_METRICS_LISTEN = { host: '127.0.0.1', port: 9187 } as const;

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Environment variable holding the upstream URL when the file and flags give none. */
export const UPSTREAM_URL_ENV = 'PARAPET_UPSTREAM_URL';
