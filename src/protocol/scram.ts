/**
 * SCRAM-SHA-256 as PostgreSQL does it (RFC 5802 / RFC 7677), plus md5 for older upstream servers:
 * verifiers, the server exchange for clients, the client exchange for the upstream, each with
 * `tls-server-end-point` channel binding (SCRAM-SHA-256-PLUS) on TLS.
 */
export {
  DEFAULT_ITERATIONS,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  TLS_SERVER_END_POINT,
  createVerifier,
  formatVerifier,
  parseVerifier,
  saltedPassword,
  saltedPasswordAsync,
  saslprep,
} from './scram-primitives.js';
export type { ScramVerifier } from './scram-primitives.js';
export { ScramServerSession, scramMechanisms } from './scram-server.js';
export type { ScramFailure, ScramServerOptions, ScramServerResult } from './scram-server.js';
export { MAX_CLIENT_ITERATIONS, ScramClientSession } from './scram-client.js';
export type { ScramClientOptions } from './scram-client.js';
export { md5Password } from './password-md5.js';
