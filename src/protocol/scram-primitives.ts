/**
 * SCRAM-SHA-256 building blocks (RFC 5802 / RFC 7677) as PostgreSQL uses them: key derivation,
 * stored verifiers (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`), attribute parsing,
 * and SASLprep of passwords.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './errors.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
/** SCRAM-SHA-256 bound to the TLS channel (RFC 5802 channel binding), offered only on TLS. */
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** The one channel-binding type PostgreSQL speaks (RFC 5929): a hash of the server's certificate. */
export const TLS_SERVER_END_POINT = 'tls-server-end-point';
/** PostgreSQL's default iteration count (the `scram_iterations` setting, 16+). */
export const DEFAULT_ITERATIONS = 4096;
/** PostgreSQL's salt length in bytes. */
export const SALT_BYTES = 16;

/** What a server keeps per user: enough to verify a proof, not enough to log in as the user. */
export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();
export const hmac = (key: Uint8Array, data: Uint8Array | string): Buffer => createHmac('sha256', key).update(data).digest();

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** SaltedPassword = Hi(SASLprep(password), salt, i). Blocks for a few ms at 4096 iterations. */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
}

const pbkdf2Async = promisify(pbkdf2);

/** `saltedPassword` on the libuv thread pool, for callers on a busy event loop. */
export function saltedPasswordAsync(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(saslprep(password), salt, iterations, 32, 'sha256');
}

/** ClientKey, StoredKey and ServerKey from a SaltedPassword. */
export function deriveKeys(salted: Buffer): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

/** Builds a stored verifier in PostgreSQL's text format (what `pg_authid.rolpassword` holds). */
export function createVerifier(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const { storedKey, serverKey } = deriveKeys(saltedPassword(password, salt, iterations));
  return formatVerifier({ iterations, salt, storedKey, serverKey });
}

export function formatVerifier(verifier: ScramVerifier): string {
  const b64 = (b: Buffer) => b.toString('base64');
  return `${SCRAM_SHA_256}$${verifier.iterations}:${b64(verifier.salt)}$${b64(verifier.storedKey)}:${b64(verifier.serverKey)}`;
}

/** Parses `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`; throws `scram-malformed`. */
export function parseVerifier(text: string): ScramVerifier {
  const match = /^SCRAM-SHA-256\$(\d+):([^$:]+)\$([^$:]+):([^$:]+)$/.exec(text);
  const invalid = () => new ProtocolError('scram-malformed', 'invalid SCRAM-SHA-256 verifier', {
    hint: 'expected `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` with base64 values',
  });
  if (!match) throw invalid();
  const iterations = Number(match[1]);
  const [salt, storedKey, serverKey] = [match[2]!, match[3]!, match[4]!].map((part) => decodeBase64(part));
  if (!Number.isSafeInteger(iterations) || iterations < 1 || !salt || salt.length === 0) throw invalid();
  if (storedKey?.length !== 32 || serverKey?.length !== 32) throw invalid();
  return { iterations, salt, storedKey, serverKey };
}

/** Strict base64 (Node's decoder silently skips bad characters); undefined when invalid. */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** A SCRAM attribute list (`r=…,s=…,i=…`): each `name=value` in order. */
export function parseAttributes(message: string, what: string): Array<[string, string]> {
  return message.split(',').map((part) => {
    if (!/^[A-Za-z]=/.test(part)) {
      throw new ProtocolError('scram-malformed', `malformed SCRAM message: ${what} has an invalid attribute \`${part.slice(0, 20)}\``);
    }
    return [part[0]!, part.slice(2)];
  });
}

/** A SCRAM message as text; SCRAM messages are UTF-8. */
export function scramText(message: Uint8Array): string {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (!isUtf8(buf)) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: not valid UTF-8');
  return buf.toString('utf8');
}

/** A SCRAM nonce: printable ASCII except the comma, non-empty. */
export function isPrintableNonce(value: string): boolean {
  return value.length > 0 && /^[\x21-\x2b\x2d-\x7e]+$/.test(value);
}

// RFC 3454 C.1.2: non-ASCII spaces, mapped to SPACE.
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/gu;
// RFC 3454 B.1: commonly mapped to nothing.
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;
// RFC 4013 prohibited output: C.2.1/C.2.2 controls, C.3 private use, C.4 non-characters, C.5 surrogates,
// C.6 inappropriate for plain text, C.7 ideographic description, C.8 display changes, C.9 tags.
const PROHIBITED =
  /[\u0000-\u001f\u007f-\u009f\u0340\u0341\u06dd\u070f\u180e\u200c-\u200f\u2028-\u202e\u2060-\u2063\u206a-\u206f\u2ff0-\u2ffb\ud800-\udfff\ue000-\uf8ff\ufdd0-\ufdef\ufeff\ufff9-\uffff\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}\u{f0000}-\u{ffffd}\u{100000}-\u{10fffd}]|[\u{1fffe}\u{1ffff}\u{2fffe}\u{2ffff}\u{3fffe}\u{3ffff}\u{4fffe}\u{4ffff}\u{5fffe}\u{5ffff}\u{6fffe}\u{6ffff}\u{7fffe}\u{7ffff}\u{8fffe}\u{8ffff}\u{9fffe}\u{9ffff}\u{afffe}\u{affff}\u{bfffe}\u{bffff}\u{cfffe}\u{cffff}\u{dfffe}\u{dffff}\u{efffe}\u{effff}]/u;

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it to passwords: pure ASCII passes unchanged; otherwise
 * map non-ASCII spaces to SPACE, drop characters mapped to nothing, NFKC-normalize, and if the result
 * is empty or holds a prohibited character use the raw password instead (as PostgreSQL does).
 * Simplification: the unassigned-code-point and bidirectional checks are not made, so a password
 * that fails only those checks is normalized here where PostgreSQL would use it raw.
 */
export function saslprep(password: string): string {
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const prepared = password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (prepared.length === 0 || PROHIBITED.test(prepared)) return password;
  return prepared;
}
