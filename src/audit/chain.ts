/**
 * The hash chain. A record's hash covers its position and its predecessor:
 *
 *     hash = H( seq + "\n" + prev + "\n" + canonicalJson(body) )
 *
 * where `body` is the record without `seq`, `prev` and `hash`, H is SHA-256 — or HMAC-SHA-256 with
 * the configured key — and the result is lower-case hex. `prev` of the first record is 64 zeros.
 * Changing any field of a record, its seq or its predecessor changes its hash, so an edit, a
 * deletion, an insertion or a reordering breaks the chain at that point.
 */
import { createHash, createHmac } from 'node:crypto';
import * as crypto from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { AuditRecord, ChainAlgorithm, RecordBody } from './record.js';

/** How hashes are computed: the algorithm and, for HMAC, the key. */
export interface ChainKey {
  algorithm: ChainAlgorithm;
  key?: Uint8Array;
}

export function chainKey(hmacKey: string | Uint8Array | undefined): ChainKey {
  if (hmacKey === undefined || hmacKey.length === 0) return { algorithm: 'sha256' };
  return { algorithm: 'hmac-sha256', key: typeof hmacKey === 'string' ? Buffer.from(hmacKey, 'utf8') : hmacKey };
}

// One-shot hashing (Node ≥ 20.12) is markedly cheaper for small inputs than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;

/** The hash of a record whose body is already canonically encoded. */
export function hashEncoded(key: ChainKey, seq: number, prev: string, bodyText: string): string {
  if (key.key) return createHmac('sha256', key.key).update(`${seq}\n${prev}\n`).update(bodyText).digest('hex');
  if (oneShot) return oneShot('sha256', `${seq}\n${prev}\n${bodyText}`);
  return createHash('sha256').update(`${seq}\n${prev}\n`).update(bodyText).digest('hex');
}

/** A body in the form stores write: its canonical text and the columns every store keeps. */
export interface EncodedBody {
  text: string;
  time: string;
  kind: string;
}

export function encodeBody(body: RecordBody): EncodedBody {
  return { text: canonicalJson(body), time: body.time, kind: body.kind };
}

/** Hashes of a batch sealed after `head` (seq and hash of the last record; 0 and zeros when empty). */
export function sealTexts(key: ChainKey, texts: readonly string[], head: { seq: number; hash: string }): string[] {
  const hashes: string[] = [];
  let prev = head.hash;
  for (let i = 0; i < texts.length; i++) {
    prev = hashEncoded(key, head.seq + 1 + i, prev, texts[i]!);
    hashes.push(prev);
  }
  return hashes;
}

/** Puts bodies and the hashes a store assigned them back together into records. */
export function assemble(bodies: readonly RecordBody[], first: number, prev: string, hashes: readonly string[]): AuditRecord[] {
  return bodies.map((body, i) => ({ ...body, seq: first + i, prev: i === 0 ? prev : hashes[i - 1]!, hash: hashes[i]! }) as AuditRecord);
}
