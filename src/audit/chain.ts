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

/** The hash of a record whose body is already canonically encoded. */
export function hashEncoded(key: ChainKey, seq: number, prev: string, bodyText: string): string {
  const h = key.key ? createHmac('sha256', key.key) : createHash('sha256');
  return h.update(`${seq}\n${prev}\n`).update(bodyText).digest('hex');
}

/** A body sealed into the chain, with the canonical text a store keeps. */
export interface Sealed {
  record: AuditRecord;
  /** canonicalJson(body): what the store saves and a verifier re-derives. */
  bodyText: string;
}

export function seal(key: ChainKey, body: RecordBody, seq: number, prev: string): Sealed {
  const bodyText = canonicalJson(body);
  const hash = hashEncoded(key, seq, prev, bodyText);
  return { record: { ...body, seq, prev, hash } as AuditRecord, bodyText };
}

/** Seals a batch after the head (`seq`, `hash` of the last record, or 0 and zeros for an empty chain). */
export function sealBatch(key: ChainKey, bodies: RecordBody[], head: { seq: number; hash: string }): Sealed[] {
  const out: Sealed[] = [];
  let { seq, hash } = head;
  for (const body of bodies) {
    const sealed = seal(key, body, seq + 1, hash);
    out.push(sealed);
    seq = sealed.record.seq;
    hash = sealed.record.hash;
  }
  return out;
}
