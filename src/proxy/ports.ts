/**
 * What the proxy needs from the rest of Parapet, as interfaces: the guard pipeline that decides,
 * the audit trail that records, the actor secrets that authenticate, and a way to open upstream
 * sessions. `start.ts` wires the real implementations; tests may pass their own.
 */
import type { Socket } from 'node:net';
import type { AuditInput } from '../audit/index.js';
import type { ScramVerifier } from '../protocol/scram.js';
import type { FrameReader } from '../protocol/frame-reader.js';
import type { Actor, Decision } from '../policy/types.js';
import type { GuardInput, GuardResult } from '../guard/types.js';

/** The decision pipeline (src/guard), as the proxy uses it. */
export interface GuardPort {
  evaluate(request: GuardInput): Promise<GuardResult>;
  /** Whether the actor may reach this database with these startup parameters. */
  decideConnect(actor: Actor, database: string, startupParameters: Record<string, string>): Decision | Promise<Decision>;
  /** The actor of that name in the policy, if any. */
  actor(name: string): Actor | undefined;
}

/** The audit trail (src/audit): `record` resolves once the record is durable and rejects when it cannot be written. */
export interface AuditPort {
  record(input: AuditInput): Promise<{ seq: number; hash: string }>;
}

/** Actor credentials: the SCRAM verifier to check a client's proof against. */
export interface CredentialsPort {
  verifier(actor: string): ScramVerifier | undefined;
}

/** Where and as whom one upstream session connects. */
export interface UpstreamRequest {
  actor: Actor;
  database: string;
  applicationName?: string;
  /** Formatting parameters the client sent (DateStyle, TimeZone…). */
  parameters: Record<string, string>;
  /** Settings for the upstream `options` (the client's allowed `-c` settings, then Parapet's own). */
  settings: { name: string; value: string }[];
  /** The session must be read-only upstream in a way RESET ALL / DISCARD ALL cannot undo. */
  readOnly: boolean;
}

/** An authenticated upstream session, ready for queries (its ReadyForQuery consumed). */
export interface UpstreamLink {
  socket: Socket;
  /** Frames already read past the startup may be buffered here: `drain()` them first. */
  reader: FrameReader;
  /** ParameterStatus values the server reported at startup. */
  parameters: Record<string, string>;
  processId: number;
  secretKey: Buffer;
  /** Sends a CancelRequest for this session on a new connection. */
  cancel(): Promise<void>;
  /** Ends the session (Terminate, then close); idempotent. */
  close(): void;
}

/** Opens upstream sessions; the embedded database's provider serves one session at a time. */
export interface UpstreamProvider {
  open(request: UpstreamRequest, signal: AbortSignal): Promise<UpstreamLink>;
  /** Human-readable target for messages (`host:port/database`). */
  describe(): string;
}

/** Where the proxy writes its own operational messages (not audit records). */
export interface ProxyLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
