/**
 * The server side of SCRAM-SHA-256, for clients logging in to Parapet. Follows PostgreSQL's
 * `auth-scram.c`: the user name inside the SCRAM messages is ignored (the startup packet's counts),
 * channel binding is not offered (no TLS yet), and an unknown user runs a mock exchange that looks
 * the same on the wire and always fails at the proof.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { DEFAULT_ITERATIONS, SALT_BYTES, decodeBase64, hmac, isPrintableNonce, parseAttributes, scramText, sha256, xor } from './scram-primitives.js';
import type { ScramVerifier } from './scram-primitives.js';

/** Why an exchange failed; for Parapet's own log and audit only, never for the client (both are 28P01). */
export type ScramFailure = 'wrong-password' | 'unknown-user';

export type ScramServerResult = { ok: true; serverFinal: Buffer } | { ok: false; reason: ScramFailure };

export interface ScramServerOptions {
  /** Server nonce source; random 18 bytes in base64 by default (as PostgreSQL). Tests pin it. */
  nonce?: () => string;
}

/** Raw server nonce length in bytes, as PostgreSQL's SCRAM_RAW_NONCE_LEN. */
const NONCE_BYTES = 18;

/** Marks a mock exchange; module-private so only `ScramServerSession.mock` can make one. */
const MOCK = Symbol('mock');

/**
 * One SCRAM-SHA-256 exchange. Call `clientFirst` with the SASLInitialResponse data and send the
 * result in AuthenticationSASLContinue; call `clientFinal` with the SASLResponse data and, when
 * `ok`, send `serverFinal` in AuthenticationSASLFinal followed by AuthenticationOk.
 * Malformed messages and unsupported features throw `ProtocolError` (`scram-malformed`,
 * `scram-unsupported`; SQLSTATE 08P01).
 */
export class ScramServerSession {
  readonly #verifier: ScramVerifier;
  readonly #mock: boolean;
  readonly #makeNonce: () => string;
  #state: 'initial' | 'first-sent' | 'done' = 'initial';
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';

  /** An exchange for a known user with their stored verifier. */
  constructor(verifier: ScramVerifier, options: ScramServerOptions & { [MOCK]?: true } = {}) {
    this.#verifier = verifier;
    this.#mock = options[MOCK] === true;
    this.#makeNonce = options.nonce ?? (() => randomBytes(NONCE_BYTES).toString('base64'));
  }

  /**
   * A mock exchange for a user that does not exist. The salt is derived from the user name and
   * `secret` (random per process), so repeated attempts for one name see one stable salt, like a real
   * user; `iterations` should match what real verifiers use.
   */
  static mock(username: string, secret: Uint8Array, options: ScramServerOptions & { iterations?: number } = {}): ScramServerSession {
    const digest = sha256(Buffer.concat([Buffer.from(username, 'utf8'), secret]));
    const verifier: ScramVerifier = {
      iterations: options.iterations ?? DEFAULT_ITERATIONS,
      salt: digest.subarray(0, SALT_BYTES),
      storedKey: hmac(secret, `stored:${username}`),
      serverKey: hmac(secret, `server:${username}`),
    };
    return new ScramServerSession(verifier, { ...options, [MOCK]: true });
  }

  /** Reads client-first-message, returns server-first-message. */
  clientFirst(message: Buffer): Buffer {
    if (this.#state !== 'initial') throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected client-first-message');
    const text = scramText(message);
    const [header, authzid] = splitGs2Header(text);
    if (authzid !== '') {
      throw new ProtocolError('scram-unsupported', 'client uses authorization identity, but it is not supported');
    }
    this.#gs2Header = header;
    this.#clientFirstBare = text.slice(header.length);
    const attributes = parseAttributes(this.#clientFirstBare, 'client-first-message');
    if (attributes[0]?.[0] === 'm') throw new ProtocolError('scram-unsupported', 'client requires an unsupported SCRAM extension');
    if (attributes[0]?.[0] !== 'n' || attributes[1]?.[0] !== 'r') {
      throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client-first-message must start with `n=` and `r=`');
    }
    const clientNonce = attributes[1][1];
    if (!isPrintableNonce(clientNonce)) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client nonce is not printable');
    this.#nonce = clientNonce + this.#makeNonce();
    const { salt, iterations } = this.#verifier;
    this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#state = 'first-sent';
    return Buffer.from(this.#serverFirst, 'utf8');
  }

  /** Reads client-final-message and verifies the proof in constant time. */
  clientFinal(message: Buffer): ScramServerResult {
    if (this.#state !== 'first-sent') throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected client-final-message');
    this.#state = 'done';
    const text = scramText(message);
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client-final-message has no proof');
    const withoutProof = text.slice(0, proofAt);
    const attributes = parseAttributes(withoutProof, 'client-final-message');
    if (attributes[0]?.[0] !== 'c' || attributes[1]?.[0] !== 'r') {
      throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client-final-message must start with `c=` and `r=`');
    }
    const binding = decodeBase64(attributes[0][1]);
    if (!binding || binding.toString('latin1') !== this.#gs2Header) {
      throw new ProtocolError('scram-malformed', 'SCRAM channel binding check failed');
    }
    if (attributes[1][1] !== this.#nonce) throw new ProtocolError('scram-malformed', 'invalid SCRAM response: nonce does not match');
    const proof = decodeBase64(text.slice(proofAt + 3));
    if (!proof || proof.length !== 32) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: malformed proof in client-final-message');

    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.#verifier.storedKey, authMessage);
    const matches = timingSafeEqual(sha256(xor(proof, clientSignature)), this.#verifier.storedKey);
    if (this.#mock) return { ok: false, reason: 'unknown-user' };
    if (!matches) return { ok: false, reason: 'wrong-password' };
    const serverSignature = hmac(this.#verifier.serverKey, authMessage);
    return { ok: true, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }
}

/** Splits `gs2-cbind-flag "," [authzid] ","` off a client-first-message; returns the header and the authzid. */
function splitGs2Header(text: string): [string, string] {
  const flag = text[0];
  if (flag === 'p') {
    throw new ProtocolError('scram-unsupported', 'the client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data', {
      hint: 'channel binding needs TLS, which Parapet does not offer yet',
    });
  }
  if ((flag !== 'n' && flag !== 'y') || text[1] !== ',') {
    throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected channel-binding flag');
  }
  const end = text.indexOf(',', 2);
  if (end < 0) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client-first-message ends early');
  const authzid = text.slice(2, end);
  if (authzid !== '' && !authzid.startsWith('a=')) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected attribute in GS2 header');
  return [text.slice(0, end + 1), authzid];
}
