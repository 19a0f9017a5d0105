/**
 * What `/healthz` and `/readyz` answer.
 *
 * Healthy: the proxy listens and its audit store writes. The store is judged by the last write:
 * a failed write makes the proxy unhealthy until a later one succeeds (the proxy refuses statements
 * meanwhile, fail closed). When nothing was written for a while, the store is asked for its chain
 * head, so a store that went away while the proxy was idle shows before the next statement fails.
 *
 * Ready: healthy, and the upstream database accepts a login now (checked at most once a second).
 */

/** One check's verdict, as the endpoints print it. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** The audit side of health, fed by the observed audit port. */
export class AuditHealth {
  #lastWrite = 0;
  #failure: string | undefined;

  constructor(
    /** A read of the store (its chain head), used when no write happened recently. */
    private readonly probe: () => Promise<unknown>,
    private readonly staleMs = 10_000,
  ) {}

  written(): void {
    this.#lastWrite = Date.now();
    this.#failure = undefined;
  }

  failed(error: unknown): void {
    this.#failure = error instanceof Error ? error.message : String(error);
  }

  async check(): Promise<CheckResult> {
    if (this.#failure !== undefined) return { ok: false, detail: `the last audit write failed: ${this.#failure}` };
    if (Date.now() - this.#lastWrite < this.staleMs) return { ok: true, detail: 'the last audit write succeeded' };
    try {
      await this.probe();
      return { ok: true, detail: 'the audit store answers' };
    } catch (error) {
      return { ok: false, detail: `the audit store does not answer: ${(error as Error).message}` };
    }
  }
}

/** A check run at most once per `ttlMs`; concurrent callers share one run. */
export function cachedCheck(check: () => Promise<CheckResult>, ttlMs = 1000): () => Promise<CheckResult> {
  let last: { at: number; result: Promise<CheckResult> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= ttlMs) {
      const result = check().catch((error: unknown): CheckResult => ({ ok: false, detail: (error as Error).message }));
      last = { at: Date.now(), result };
    }
    return last.result;
  };
}
