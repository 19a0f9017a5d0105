/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, for Parapet logging in to the upstream
 * server. Like libpq it sends an empty user name (the server uses the startup packet's); it binds to
 * the TLS channel (`p=tls-server-end-point`) when given the binding data, says `y` on TLS without it
 * (so a server that could bind detects a downgrade) and `n` without TLS.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS, TLS_SERVER_END_POINT, decodeBase64, deriveKeys, hmac, isPrintableNonce, parseAttributes, saltedPassword, scramText, xor } from './scram-primitives.js';

/** A server may not make Parapet spend more than this on key derivation (about a second). */
export const MAX_CLIENT_ITERATIONS = 1_000_000;

export interface ScramClientOptions {
  /**
   * `tls-server-end-point` data of the TLS connection (the hash of the server's certificate): the
   * exchange becomes SCRAM-SHA-256-PLUS, bound to this channel.
   */
  channelBinding?: Buffer | undefined;
  /** On TLS but not binding (the server offered no PLUS): send `y` rather than `n`. */
  onTls?: boolean;
  /** Client nonce; 18 random bytes in base64 by default. Tests pin it. */
  nonce?: string;
  /** User name to put in `n=`; empty by default (PostgreSQL ignores it). */
  username?: string;
}

/**
 * One SCRAM-SHA-256 login: `clientFirst()` → SASLInitialResponse; `serverFirst(data)` with the
 * AuthenticationSASLContinue data; `clientFinal()` → SASLResponse; `verifyServerFinal(data)` with the
 * AuthenticationSASLFinal data. Key derivation can run elsewhere: pass the SaltedPassword computed
 * with `saltedPasswordAsync` for the salt and iterations `serverFirst` returned.
 */
export class ScramClientSession {
  readonly #password: string;
  readonly #clientNonce: string;
  readonly #clientFirstBare: string;
  readonly #gs2Header: string;
  readonly #channelBinding: Buffer;
  #serverFirst: { text: string; nonce: string; salt: Buffer; iterations: number } | undefined;
  #serverSignature: Buffer | undefined;

  constructor(password: string, options: ScramClientOptions = {}) {
    this.#password = password;
    this.#clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    if (!isPrintableNonce(this.#clientNonce)) throw new ProtocolError('invalid-value', 'a SCRAM nonce must be printable ASCII without commas');
    const username = (options.username ?? '').replaceAll('=', '=3D').replaceAll(',', '=2C');
    this.#clientFirstBare = `n=${username},r=${this.#clientNonce}`;
    this.#channelBinding = options.channelBinding ?? Buffer.alloc(0);
    this.#gs2Header = options.channelBinding ? `p=${TLS_SERVER_END_POINT},,` : options.onTls ? 'y,,' : 'n,,';
  }

  /** The SASL mechanism to name in SASLInitialResponse. */
  get mechanism(): string {
    return this.#gs2Header.startsWith('p') ? SCRAM_SHA_256_PLUS : SCRAM_SHA_256;
  }

  /** client-first-message. */
  clientFirst(): Buffer {
    return Buffer.from(this.#gs2Header + this.#clientFirstBare, 'utf8');
  }

  /** Reads server-first-message; returns what key derivation needs. */
  serverFirst(data: Uint8Array): { salt: Buffer; iterations: number } {
    const text = scramText(data);
    const attributes = parseAttributes(text, 'server-first-message');
    const [r, s, i] = attributes;
    if (r?.[0] !== 'r' || s?.[0] !== 's' || i?.[0] !== 'i') {
      throw new ProtocolError('scram-malformed', 'malformed SCRAM message: server-first-message must hold `r=`, `s=` and `i=`');
    }
    const nonce = r[1];
    if (!nonce.startsWith(this.#clientNonce) || nonce.length === this.#clientNonce.length || !isPrintableNonce(nonce)) {
      throw new ProtocolError('scram-malformed', 'malformed SCRAM message: server nonce does not extend the client nonce');
    }
    const salt = decodeBase64(s[1]);
    if (!salt || salt.length === 0) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: invalid salt');
    const iterations = /^[1-9]\d{0,9}$/.test(i[1]) ? Number(i[1]) : NaN;
    if (!Number.isSafeInteger(iterations)) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: invalid iteration count');
    if (iterations > MAX_CLIENT_ITERATIONS) {
      throw new ProtocolError('scram-unsupported', `server asks for ${iterations} SCRAM iterations, more than the limit of ${MAX_CLIENT_ITERATIONS}`);
    }
    this.#serverFirst = { text, nonce, salt, iterations };
    return { salt, iterations };
  }

  /** client-final-message with the proof. Derives the SaltedPassword here unless given. */
  clientFinal(salted?: Buffer): Buffer {
    const first = this.#serverFirst;
    if (!first) throw new ProtocolError('scram-malformed', 'client-final-message requested before server-first-message');
    const key = salted ?? saltedPassword(this.#password, first.salt, first.iterations);
    const { clientKey, storedKey, serverKey } = deriveKeys(key);
    const binding = Buffer.concat([Buffer.from(this.#gs2Header, 'utf8'), this.#channelBinding]);
    const withoutProof = `c=${binding.toString('base64')},r=${first.nonce}`;
    const authMessage = `${this.#clientFirstBare},${first.text},${withoutProof}`;
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.#serverSignature = hmac(serverKey, authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /**
   * Checks server-final-message. False when the signature does not match: the server does not know
   * the password, so it is not the server it claims to be. A server error (`e=`) throws.
   */
  verifyServerFinal(data: Uint8Array): boolean {
    if (!this.#serverSignature) throw new ProtocolError('scram-malformed', 'server-final-message before client-final-message');
    const [first] = parseAttributes(scramText(data), 'server-final-message');
    if (first?.[0] === 'e') throw new ProtocolError('scram-malformed', `SCRAM server error: ${first[1]}`);
    const signature = first?.[0] === 'v' ? decodeBase64(first[1]) : undefined;
    if (!signature) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: server-final-message has no verifier');
    return signature.length === this.#serverSignature.length && timingSafeEqual(signature, this.#serverSignature);
  }
}
