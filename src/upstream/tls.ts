/**
 * TLS to the upstream server with libpq's `sslmode` semantics: an SSLRequest on the fresh connection,
 * `S` → the TLS handshake (verifying the chain for `verify-ca`, and the host name too for
 * `verify-full`), `N` → plaintext unless the mode requires TLS. Modes `allow` and `prefer` that fall
 * back to plaintext are handled by the caller (they may need a second connection).
 */
import { isIP, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, connect as tlsConnect, createSecureContext, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import * as fe from '../protocol/encode-frontend.js';
import { tlsServerEndPoint } from '../tls/certificate-hash.js';
import { ALPN_POSTGRESQL } from '../tls/alpn.js';
import { UpstreamError } from './errors.js';

/** libpq's sslmode values, weakest first. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** TLS to the upstream, as the libpq URL parameters of the same names say it. */
export interface UpstreamTlsOptions {
  sslmode: SslMode;
  /** CA file (PEM) that signs the server's certificate, or `system` for the trusted roots Node ships. */
  sslrootcert?: string;
  /** Client certificate and its key (PEM files), when the server asks for one. */
  sslcert?: string;
  sslkey?: string;
  /** Send the host name as SNI (libpq's `sslsni`, on by default); never for IP addresses. */
  sslsni?: boolean;
}

/** Whether the server's certificate chain is checked: verify-ca and verify-full, and require with a CA file (as libpq). */
export function verifiesChain(tls: UpstreamTlsOptions): boolean {
  return tls.sslmode === 'verify-ca' || tls.sslmode === 'verify-full' || (tls.sslmode === 'require' && tls.sslrootcert !== undefined);
}

/** Whether a server that answers `N` (or fails the handshake) must be refused. */
export function requiresTls(tls: UpstreamTlsOptions | undefined): boolean {
  return tls !== undefined && SSL_MODES.indexOf(tls.sslmode) >= SSL_MODES.indexOf('require');
}

/**
 * Sends SSLRequest on a connected socket (paused, nothing sent yet) and starts TLS when the server
 * agrees. Resolves with the TLS socket, or undefined when the server declined and the mode allows
 * plaintext. Throws `tls-refused` (declined, TLS required) or `tls-failed` (handshake or verification).
 */
export async function negotiateTls(socket: Socket, tls: UpstreamTlsOptions, host: string, where: string): Promise<TLSSocket | undefined> {
  socket.write(fe.sslRequest());
  const reply = await firstChunk(socket, where);
  const answer = String.fromCharCode(reply[0]!);
  if (answer === 'S' || answer === 'N') {
    // The answer is one byte; anything behind it was not sent under TLS and could be injected (CVE-2021-23222).
    if (reply.length > 1) throw new UpstreamError('protocol', `upstream ${where} sent unencrypted data after its answer to the SSL request`);
    if (answer === 'N') {
      if (requiresTls(tls)) {
        throw new UpstreamError('tls-refused', `upstream ${where} does not support TLS, but sslmode \`${tls.sslmode}\` requires it`, {
          hint: 'turn on ssl in the server\'s postgresql.conf, or lower sslmode (disable, allow, prefer)',
        });
      }
      return undefined;
    }
    return handshake(socket, tls, host, where);
  }
  throw new UpstreamError('protocol', `upstream ${where} answered the SSL request with \`${reply[0] === 0x45 ? 'an error' : answer}\``, {
    hint: 'the server may be overloaded, or not a PostgreSQL server',
  });
}

/** The `tls-server-end-point` data of the server's certificate on this socket; undefined when it cannot be computed. */
export function upstreamChannelBinding(socket: TLSSocket): Buffer | undefined {
  const certificate = socket.getPeerX509Certificate();
  return certificate ? tlsServerEndPoint(certificate.raw) : undefined;
}

function firstChunk(socket: Socket, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      done();
      socket.pause();
      resolve(chunk);
    };
    const onClose = (): void => {
      done();
      reject(new UpstreamError('closed', `upstream ${where} closed the connection in answer to the SSL request`));
    };
    const done = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

function handshake(socket: Socket, tls: UpstreamTlsOptions, host: string, where: string): Promise<TLSSocket> {
  const verifyHost = tls.sslmode === 'verify-full';
  const secure = tlsConnect({
    socket,
    secureContext: secureContextFor(tls),
    ALPNProtocols: [ALPN_POSTGRESQL],
    ...(tls.sslsni !== false && isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: verifiesChain(tls),
    // Node checks the name after the chain; only verify-full asks for it, against the host as configured.
    checkServerIdentity: verifyHost ? (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert) : () => undefined,
  });
  return new Promise((resolve, reject) => {
    secure.once('secureConnect', () => {
      secure.off('error', onError);
      secure.pause();
      resolve(secure);
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      secure.destroy();
      reject(
        new UpstreamError('tls-failed', `TLS with upstream ${where} failed: ${error.message}`, {
          hint: hintFor(error.code, tls),
          cause: error,
        }),
      );
    };
    secure.once('error', onError);
  });
}

function hintFor(code: string | undefined, tls: UpstreamTlsOptions): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the server certificate does not name this host: connect by a name it lists, or use sslmode=verify-ca';
  if (code?.includes('CERT') || code?.includes('SELF_SIGNED') || code?.includes('ISSUER')) {
    return tls.sslrootcert ? `the server certificate is not signed by \`${tls.sslrootcert}\`` : 'give the CA that signs the server certificate in sslrootcert';
  }
  return 'check the server\'s ssl settings and the sslcert/sslkey given';
}

const contexts = new Map<string, SecureContext>();

/** One secure context per distinct set of files, made on first use (reading and parsing PEM per connection would cost). */
function secureContextFor(tls: UpstreamTlsOptions): SecureContext {
  const key = JSON.stringify([tls.sslrootcert, tls.sslcert, tls.sslkey]);
  let context = contexts.get(key);
  if (context) return context;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new UpstreamError('tls-failed', `cannot read the upstream ${what} file \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  };
  try {
    context = createSecureContext({
      minVersion: 'TLSv1.2',
      ...(tls.sslrootcert !== undefined && tls.sslrootcert !== 'system' ? { ca: read(tls.sslrootcert, 'sslrootcert') } : {}),
      ...(tls.sslcert !== undefined ? { cert: read(tls.sslcert, 'sslcert') } : {}),
      ...(tls.sslkey !== undefined ? { key: read(tls.sslkey, 'sslkey') } : {}),
    });
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError('tls-failed', `the upstream TLS files cannot be used: ${(error as Error).message}`, {
      hint: 'sslrootcert, sslcert and sslkey must be PEM files; the key unencrypted and belonging to the certificate',
      cause: error,
    });
  }
  contexts.set(key, context);
  return context;
}
