/**
 * Parapet's TLS toward clients, loaded once at start from the `tls` settings: the secure context
 * (certificate, key, and the CA that signs client certificates), the `tls-server-end-point` data for
 * SCRAM-SHA-256-PLUS, and what the startup log should say about the certificate.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server as TlsServer } from 'node:tls';
import type { ClientCertificateConfig, TlsConfig } from '../config/types.js';
import { tlsServerEndPoint } from './certificate-hash.js';
import { ALPN_POSTGRESQL } from './alpn.js';
import { TlsError } from './errors.js';

/** TLS toward clients, ready for handshakes. */
export interface ServerTls {
  mode: 'allowed' | 'required';
  /**
   * Never listens: accepted sockets are handed to it (`emit('connection')`), so Node's own server-side
   * logic runs the handshake and verifies client certificates (`authorized`), which a bare TLSSocket does not.
   */
  server: TlsServer;
  /** Hash of Parapet's certificate (RFC 5929); undefined when its signature names no usable hash. */
  channelBinding: Buffer | undefined;
  /** Client certificates as identity, when configured. */
  clientCertificates: Omit<ClientCertificateConfig, 'ca'> | undefined;
  /** One line for the startup log: mode, subject, expiry. */
  summary: string;
  /** Things the operator should fix that do not stop the proxy (expiry, no channel binding). */
  warnings: string[];
}

/** PostgreSQL's default `ssl_min_protocol_version`. */
const MIN_VERSION = 'TLSv1.2';

/** Reads and checks the files; throws `TlsError` with a hint for anything unusable. Undefined when TLS is disabled. */
export function loadServerTls(config: TlsConfig | undefined, now = new Date()): ServerTls | undefined {
  if (!config || config.mode === 'disabled') return undefined;
  if (config.cert === undefined || config.key === undefined) {
    throw new TlsError('read-file', `TLS mode \`${config.mode}\` needs a certificate and a key`, { hint: 'set tls.cert and tls.key' });
  }
  const certPem = read(config.cert, 'certificate');
  const keyPem = read(config.key, 'key');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (error) {
    throw new TlsError('bad-certificate', `\`${config.cert}\` holds no PEM certificate`, { hint: 'the file must start with -----BEGIN CERTIFICATE-----', cause: error });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new TlsError('bad-key', `\`${config.key}\` holds no usable private key`, {
      hint: 'give an unencrypted PEM key (an encrypted one can be decrypted with `openssl pkey -in KEY -out KEY.plain`)',
      cause: error,
    });
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new TlsError('key-mismatch', `the key \`${config.key}\` does not belong to the certificate \`${config.cert}\``);
  }
  let ca: Buffer | undefined;
  if (config.clientCertificates) {
    ca = read(config.clientCertificates.ca, 'client CA');
    try {
      new X509Certificate(ca);
    } catch (error) {
      throw new TlsError('bad-ca', `\`${config.clientCertificates.ca}\` holds no PEM certificate`, { hint: 'give the CA that signs the client certificates', cause: error });
    }
  }
  const server = createServer({
    cert: certPem,
    key: keyPem,
    minVersion: MIN_VERSION,
    ALPNProtocols: [ALPN_POSTGRESQL],
    ...(ca ? { ca, requestCert: true } : {}),
    // Parapet decides about client certificates itself, so the client hears a PostgreSQL error, not an alert.
    rejectUnauthorized: false,
  });
  const channelBinding = tlsServerEndPoint(certificate.raw);
  const warnings: string[] = [];
  if (!channelBinding) warnings.push(`the certificate's signature algorithm names no hash for channel binding: SCRAM-SHA-256-PLUS is not offered`);
  if (new Date(certificate.validTo) < now) warnings.push(`the certificate expired on ${certificate.validTo}: clients that verify it will refuse to connect`);
  if (new Date(certificate.validFrom) > now) warnings.push(`the certificate is valid only from ${certificate.validFrom}`);
  const clientCertificates = config.clientCertificates ? { identity: config.clientCertificates.identity, auth: config.clientCertificates.auth } : undefined;
  const identity = clientCertificates ? `; client certificates required (${clientCertificates.auth === 'cert' ? 'certificate alone' : 'certificate and password'})` : '';
  return {
    mode: config.mode,
    server,
    channelBinding,
    clientCertificates,
    summary: `TLS ${config.mode}: ${certificate.subject.replaceAll('\n', ', ')}, valid until ${certificate.validTo}${identity}`,
    warnings,
  };
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsError('read-file', `cannot read the TLS ${what} file \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}
