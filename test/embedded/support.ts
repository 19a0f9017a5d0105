/** Helpers for the embedded-database tests: a temp directory per test, process liveness. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory removed after the test; the data directory path inside it is not created. */
export function tempDataDir(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'parapet-embedded-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return join(root, 'pgdata');
}

/** True while the process exists and is not a zombie (an orphan nobody reaped is as good as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}
