/**
 * What `parapet serve` runs with, after the file, the environment and the flags are merged and
 * every relative path is resolved against the config file's folder.
 */
import type { LineageSettings } from './lineage-config.js';
import type { ActorKind } from '../policy/types.js';

/** Host and port to listen on or connect to. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Upstream credentials for a subset of actors (e.g. a SELECT-only role for read-only agents).
 * The first entry whose selectors all match an actor wins; an entry with no selector matches all.
 */
export interface UpstreamCredential {
  groups?: string[];
  kinds?: ActorKind[];
  actors?: string[];
  user: string;
  /** Resolved password (from `env:VAR` or the file); absent for trust authentication. */
  password?: string;
}

export type RiskyRoleAction = 'warn' | 'refuse';

export interface UpstreamConfig {
  /** `postgres://user:password@host:port/database?…`: the default credentials and target. */
  url: string;
  /** Overrides the URL's password; from `env:VAR` in the file. */
  password?: string;
  credentials: UpstreamCredential[];
  /** What to do when the upstream role holds more than Parapet needs (superuser, CREATEROLE…). */
  onRiskyRole: RiskyRoleAction;
  /** Milliseconds to wait for the upstream to accept a session before the client gets an error. */
  connectTimeoutMs: number;
}

/** The audit store's settings, handed to `openAudit` (see src/audit). */
export type AuditSettings =
  | {
      store: 'sqlite';
      /** SQLite file of the trail. */
      path: string;
      /** `normal` survives a process crash; `full` also a power loss. */
      synchronous?: 'normal' | 'full';
      redact?: 'literals' | 'none';
      hmacKey?: string;
    }
  | {
      store: 'postgres';
      /** A database actors cannot reach through the proxy. */
      url: string;
      schema?: string;
      redact?: 'literals' | 'none';
      hmacKey?: string;
    };

export interface Limits {
  /** Largest message a client may send, in bytes (length word included). */
  maxMessageBytes: number;
  /** Milliseconds a client has to finish startup and authentication. */
  authTimeoutMs: number;
  /** Milliseconds a session waits for the single-session embedded database before 53300. */
  upstreamWaitMs: number;
  /** Client connections accepted at once; more get 53300 too_many_connections. */
  maxConnections: number;
  /** Client messages queued behind a pending decision before Parapet stops reading that client. */
  maxPendingMessages: number;
  /** Sessions one actor may hold at once; more get 53300. Absent: no per-actor limit. */
  maxConnectionsPerActor?: number;
  /** Milliseconds a session may wait for its client between statements before Parapet closes it. Absent: no limit. */
  idleTimeoutMs?: number;
  /** Milliseconds a statement may run: the upstream `statement_timeout`, which the actor cannot change. Absent: no limit. */
  statementTimeoutMs?: number;
  /** Milliseconds SIGTERM waits for running statements before their sessions are closed. */
  shutdownTimeoutMs?: number;
  /** Limits for some actors; the first entry whose selectors all match wins, each unset key falls back to the value above. */
  actors?: ActorLimits[];
}

/** Limits for a subset of actors, selected like upstream credentials (an entry with no selector matches all). */
export interface ActorLimits {
  groups?: string[];
  kinds?: ActorKind[];
  actors?: string[];
  /** Sessions each matching actor may hold at once. */
  maxConnections?: number;
  idleTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** The Prometheus endpoint (`/metrics`) and the health endpoints (`/healthz`, `/readyz`). */
export interface MetricsConfig {
  listen: HostPort;
}

/**
 * TLS toward clients: `disabled` answers every SSLRequest with `N`; `allowed` accepts TLS (SSLRequest
 * or direct TLS) and plaintext; `required` refuses a plaintext session at its startup (28000).
 */
export type TlsMode = 'disabled' | 'allowed' | 'required';

/** Client certificates as an identity: verified against `ca`, their subject CN must be the actor's name. */
export interface ClientCertificateConfig {
  /** CA file (PEM) that signs the client certificates. */
  ca: string;
  /** Which certificate field names the actor; only the subject common name so far. */
  identity: 'cn';
  /** `both`: certificate and SCRAM password; `cert`: the certificate alone (no password exchange). */
  auth: 'both' | 'cert';
}

/** TLS for clients connecting to Parapet (the upstream's TLS is set in its URL: `sslmode`, `sslrootcert`…). */
export interface TlsConfig {
  mode: TlsMode;
  /** Server certificate file (PEM; may hold the intermediate chain after it) and its unencrypted key. */
  cert?: string;
  key?: string;
  clientCertificates?: ClientCertificateConfig;
}

/** Result masking settings that are the deployment's, not the policy's. */
export interface MaskingConfig {
  /** Key of the `hash` mask style (at least 32 bytes). */
  hashKey: Buffer;
}

export interface ParapetConfig {
  /** File the config came from, when there was one. */
  file?: string;
  listen: HostPort;
  /** Absent: the embedded default database. */
  upstream?: UpstreamConfig;
  /** Policy file; absent: the shipped default policy (or the embedded example with the embedded default). */
  policy?: string;
  /** Secrets file (actor verifiers); absent: the embedded example with the embedded default, else no actor can log in. */
  secrets?: string;
  audit: AuditSettings;
  /** Environment name decisions see (e.g. `production`); absent: the policy's own. */
  environment?: string;
  limits: Limits;
  /** TLS toward clients; absent: disabled (SSLRequest is answered `N`). */
  tls?: TlsConfig;
  /** Folder for the embedded database's data (the embedded default only). */
  embeddedDataDir?: string;
  /** Metrics and health over HTTP; absent: not served. */
  metrics?: MetricsConfig;
  /** OpenLineage events out (file or HTTP); absent: none are emitted. */
  lineage?: LineageSettings;
  /** The `masking` section; absent: the `hash` style uses a random key per process. */
  masking?: MaskingConfig;
}
