/**
 * Polls a condition until it holds; fails after `timeoutMs` (a deadline for a hang, not a timing
 * assertion). `explain` says what was seen instead, for the failure message.
 */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 15_000, explain?: () => Promise<unknown> | unknown): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) {
      const seen = explain ? `; seen: ${JSON.stringify(await explain())}` : '';
      throw new Error(`condition not met within ${timeoutMs} ms${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
