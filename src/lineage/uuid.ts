/** Name-based UUIDs (RFC 9562 version 5, SHA-1): the same name always gives the same id. */
import { createHash } from 'node:crypto';

/** Parapet's own namespace for run ids (a fixed random UUID). */
export const PARAPET_NAMESPACE = '6f1d7c2e-4b9a-4e0f-9a53-2d8c1b7e5a90';

export function uuidV5(name: string, namespace = PARAPET_NAMESPACE): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
