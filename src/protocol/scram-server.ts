/**
 * The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, for clients logging in to Parapet.
 * Follows PostgreSQL's `auth-scram.c`: the user name inside the SCRAM messages is ignored (the
 * startup packet's counts), channel binding is `tls-server-end-point` (RFC 5929) and only on TLS, and
 * an unknown user runs a mock exchange that looks the same on the wire and always fails at the proof.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { DEFAULT_ITERATIONS, SALT_BYTES, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, TLS_SERVER_END_POINT, decodeBase64, hmac, isPrintableNonce, parseAttributes, scramText, sha256, xor } from './scram-primitives.js';
import type { ScramVerifier } from './scram-primitives.js';

/** Why an exchange failed; for Parapet's own log and audit only, never for the client (both are 28P01). */
export type ScramFailure = 'wrong-password' | 'unknown-user';

export type ScramServerResult = { ok: true; serverFinal: Buffer } | { ok: false; reason: ScramFailure };

export interface ScramServerOptions {
  /** Server nonce source; random 18 bytes in base64 by default (as PostgreSQL). Tests pin it. */
  nonce?: () => string;
  /**
   * The `tls-server-end-point` channel-binding data of the TLS connection (the hash of Parapet's
   * certificate), when the client is on TLS. Given, the server offers SCRAM-SHA-256-PLUS, and a client
   * that claims the server cannot bind (`y`) is refused as a downgrade.
   */
  channelBinding?: Buffer | undefined;
}

/** The mechanisms to list in AuthenticationSASL: with channel-binding data, PLUS first (as PostgreSQL). */
export function scramMechanisms(channelBinding: Buffer | undefined): string[] {
  return channelBinding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
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
  readonly #channelBinding: Buffer | undefined;
  /** The channel-binding data the client must echo in `c=`: none unless it chose PLUS. */
  #boundData: Buffer = Buffer.alloc(0);
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
    this.#channelBinding = options.channelBinding;
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

  /**
   * Reads client-first-message for the mechanism the client selected (one of `scramMechanisms`),
   * returns server-first-message. The GS2 header must agree with the mechanism and with what the
   * server offered (RFC 5802 section 6).
   */
  clientFirst(message: Buffer, mechanism: string = SCRAM_SHA_256): Buffer {
    if (this.#state !== 'initial') throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected client-first-message');
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    if (mechanism !== SCRAM_SHA_256 && !(plus && this.#channelBinding)) {
      throw new ProtocolError('scram-unsupported', `client selected an invalid SASL authentication mechanism \`${mechanism}\``);
    }
    const text = scramText(message);
    const [header, authzid] = splitGs2Header(text);
    this.#checkBindingFlag(header, plus);
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
    if (!binding || !binding.equals(Buffer.concat([Buffer.from(this.#gs2Header, 'utf8'), this.#boundData]))) {
      throw new ProtocolError('scram-channel-binding', 'SCRAM channel binding check failed', {
        hint: 'the client bound the exchange to another TLS channel: something between it and parapet terminates TLS',
      });
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

  /** The gs2-cbind-flag against the mechanism: PLUS needs `p=tls-server-end-point`, plain SCRAM `n` or an honest `y`. */
  #checkBindingFlag(header: string, plus: boolean): void {
    const flag = header[0];
    if (flag === 'p') {
      if (!plus) {
        throw new ProtocolError('scram-channel-binding', 'the client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data');
      }
      const type = header.slice(2, header.indexOf(','));
      if (type !== TLS_SERVER_END_POINT) throw new ProtocolError('scram-unsupported', `unsupported SCRAM channel-binding type \`${type}\``, { hint: `parapet supports \`${TLS_SERVER_END_POINT}\`` });
      this.#boundData = this.#channelBinding!;
      return;
    }
    if (plus) {
      throw new ProtocolError('scram-channel-binding', 'the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data');
    }
    // `y`: the client could bind but believes the server cannot. On TLS the server can, so something
    // removed PLUS from the offer on the way: a downgrade (RFC 5802 section 6).
    if (flag === 'y' && this.#channelBinding) {
      throw new ProtocolError('scram-channel-binding', 'SCRAM channel binding negotiation error', {
        hint: 'the client supports channel binding and thinks the server does not, but this server does: the offer was tampered with',
      });
    }
  }
}

/** Splits `gs2-cbind-flag "," [authzid] ","` off a client-first-message; returns the header and the authzid. */
function splitGs2Header(text: string): [string, string] {
  const flag = text[0];
  const flagEnd = text.indexOf(',');
  const validFlag = flagEnd < 0 ? false : flag === 'p' ? /^p=[A-Za-z0-9.-]+$/.test(text.slice(0, flagEnd)) : (flag === 'n' || flag === 'y') && flagEnd === 1;
  if (!validFlag) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected channel-binding flag');
  const end = text.indexOf(',', flagEnd + 1);
  if (end < 0) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: client-first-message ends early');
  const authzid = text.slice(flagEnd + 1, end);
  if (authzid !== '' && !authzid.startsWith('a=')) throw new ProtocolError('scram-malformed', 'malformed SCRAM message: unexpected attribute in GS2 header');
  return [text.slice(0, end + 1), authzid];
}
