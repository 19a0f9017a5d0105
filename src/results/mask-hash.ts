/**
 * The `hash` mask style's keyed hash: equal values give equal hashes within one deployment (joins
 * and counts still work), and nothing can be learnt from them without the deployment's key.
 *
 * The hash is BLAKE2s with a 16-byte digest, keyed with HMAC-SHA-256(deployment key, `HASH_LABEL`):
 * the deployment key itself is never used as a hash key, so a key shared with another purpose (or a
 * later version of this hash) gives unrelated outputs. Output: 32 lowercase hex characters.
 */
import { createHmac } from 'node:crypto';
import { Blake2s } from './blake2s.js';

/** Names this use of the deployment key; a new hash construction gets a new label. */
export const HASH_LABEL = 'parapet mask-hash v1';
const DIGEST_BYTES = 16;
/** Characters of one hash. */
export const HASH_HEX_LENGTH = 2 * DIGEST_BYTES;

const HEX = Buffer.from('0123456789abcdef');

export class MaskHasher {
  readonly #blake: Blake2s;
  readonly #digest = new Uint8Array(DIGEST_BYTES);

  constructor(deploymentKey: Uint8Array) {
    this.#blake = new Blake2s(DIGEST_BYTES, createHmac('sha256', deploymentKey).update(HASH_LABEL).digest());
  }

  /** Writes the hash of `value[start, end)` as hex at `out[at]` (`HASH_HEX_LENGTH` bytes). */
  writeHex(value: Uint8Array, start: number, end: number, out: Uint8Array, at: number): void {
    const digest = this.#digest;
    this.#blake.digestInto(value, start, end, digest, 0);
    for (let i = 0; i < DIGEST_BYTES; i++) {
      const byte = digest[i]!;
      out[at++] = HEX[byte >> 4]!;
      out[at++] = HEX[byte & 15]!;
    }
  }

  /** The hash of `value` as a string. */
  hex(value: Uint8Array): string {
    const out = Buffer.allocUnsafe(HASH_HEX_LENGTH);
    this.writeHex(value, 0, value.length, out, 0);
    return out.toString('latin1');
  }
}
