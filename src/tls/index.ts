/** TLS toward clients: settings loaded at start, direct-TLS detection, the handshake, admission rules, channel-binding data. */
export { loadServerTls } from './server-tls.js';
export type { ServerTls } from './server-tls.js';
export { acceptClient } from './accept.js';
export type { Accepted, AcceptOptions } from './accept.js';
export { serverHandshake } from './handshake.js';
export { ALPN_POSTGRESQL } from './alpn.js';
export type { ClientCertificate, HandshakeResult, TlsNegotiation, TlsSession } from './handshake.js';
export { admitClient } from './admission.js';
export type { Admission } from './admission.js';
export { signatureHash, tlsServerEndPoint } from './certificate-hash.js';
export { TlsError } from './errors.js';
export type { TlsErrorCode } from './errors.js';
