/**
 * The keys Parapet hands its clients in BackendKeyData: cryptographically random, one per session,
 * never the upstream's. A CancelRequest is matched here (key compared in constant time) and the
 * session decides how to cancel: locally when it holds the statement, else upstream.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export interface Cancellable {
  cancel(): void;
}

export interface BackendKey {
  processId: number;
  secretKey: Buffer;
}

export class CancelRegistry {
  readonly #sessions = new Map<number, { key: Buffer; target: Cancellable }>();

  /** Issues a fresh key for a session. */
  register(target: Cancellable): BackendKey {
    let processId: number;
    do processId = randomInt(1, 0x7fffffff);
    while (this.#sessions.has(processId));
    const secretKey = randomBytes(4);
    this.#sessions.set(processId, { key: secretKey, target });
    return { processId, secretKey };
  }

  unregister(processId: number): void {
    this.#sessions.delete(processId);
  }

  /** Cancels the matching session; returns whether the key matched one. */
  cancel(processId: number, secretKey: Buffer): boolean {
    const entry = this.#sessions.get(processId);
    if (!entry || entry.key.length !== secretKey.length || !timingSafeEqual(entry.key, secretKey)) return false;
    entry.target.cancel();
    return true;
  }
}
