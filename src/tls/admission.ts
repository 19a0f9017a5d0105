/**
 * What TLS demands of a session before it may authenticate, as PostgreSQL's `hostssl` and
 * `clientcert=verify-full` / `cert` lines would: `mode: required` refuses plaintext, and configured
 * client certificates must be valid (signed by the CA) with a subject CN equal to the actor's name.
 * With `auth: cert` such a certificate is the whole login; with `auth: both` the SCRAM password
 * follows. Every refusal is 28000 invalid_authorization_specification.
 */
import type { PgErrorFields } from '../protocol/pg-error.js';
import type { TlsSession } from './handshake.js';
import type { ServerTls } from './server-tls.js';

export type Admission =
  | { ok: true; /** The certificate alone logged the actor in: no password exchange. */ passwordless: boolean }
  | { ok: false; error: PgErrorFields; /** For Parapet's audit and log, not the client. */ reason: string };

/**
 * Checks the transport and certificate of a session that wants to log in as `user`.
 * `actorExists`: whether the policy knows `user` (a certificate alone cannot log in an unknown actor).
 */
export function admitClient(tls: ServerTls | undefined, session: TlsSession | undefined, user: string, actorExists: boolean): Admission {
  if (!tls) return { ok: true, passwordless: false };
  const refuse = (reason: string, message: string, hint?: string): Admission => ({
    ok: false,
    reason,
    error: { severity: 'FATAL', code: '28000', message, ...(hint ? { hint } : {}) },
  });
  if (!session && tls.mode === 'required') {
    return refuse('plaintext connection refused', 'parapet accepts only encrypted connections', 'connect with TLS: sslmode=require, or verify-full to check the server certificate');
  }
  if (!tls.clientCertificates) return { ok: true, passwordless: false };
  const certificate = session?.clientCertificate;
  if (!certificate || !certificate.verified) {
    const why = session ? (certificate?.verified === false ? certificate.reason : 'no certificate') : 'plaintext connection';
    return refuse(`client certificate: ${why}`, 'connection requires a valid client certificate', 'connect over TLS with sslcert and sslkey: a certificate signed by the CA parapet trusts, with the actor name as its CN');
  }
  if (certificate.commonNames.length !== 1 || certificate.commonNames[0] !== user) {
    const names = certificate.commonNames.map((cn) => `\`${cn}\``).join(', ') || 'none';
    return refuse(`client certificate CN ${names} is not \`${user}\``, `certificate authentication failed for user "${user}"`, `the certificate's common name (${names}) must be the actor name`);
  }
  if (tls.clientCertificates.auth === 'cert') {
    if (!actorExists) return refuse('unknown actor with a valid certificate', `certificate authentication failed for user "${user}"`);
    return { ok: true, passwordless: true };
  }
  return { ok: true, passwordless: false };
}
