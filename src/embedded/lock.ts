/**
 * A lock file beside the data directory (`<dataDir>.lock`) holding the owner's pid, so two PGlite
 * instances never open one data directory. A lock whose process is gone is stale and taken over.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { EmbeddedError } from './errors.js';

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface DataDirLock {
  path: string;
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void;
  /** A stale lock that was taken over, if any (for the start-up log). */
  replaced?: LockOwner;
}

export function lockPath(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, '')}.lock`;
}

export function acquireLock(dataDir: string, pid = process.pid): DataDirLock {
  const path = lockPath(dataDir);
  const owner: LockOwner = { pid, hostname: hostname(), startedAt: new Date().toISOString() };
  let replaced: LockOwner | undefined;
  // Two rounds: the second follows removing a stale lock. Losing a race for it ends in EMBEDDED_LOCKED.
  for (let round = 0; round < 2; round++) {
    if (createExclusive(path, owner)) return { path, replaced, release: () => releaseIfOurs(path, pid) };
    const holder = readOwner(path);
    if (holder && isLive(holder)) {
      throw new EmbeddedError(
        'EMBEDDED_LOCKED',
        `the embedded database \`${dataDir}\` is in use by process ${holder.pid}${holder.hostname === owner.hostname ? '' : ` on \`${holder.hostname}\``}`,
        `stop that process, or pass another data directory; if no such process runs, delete \`${path}\``,
      );
    }
    replaced = holder ?? undefined;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new EmbeddedError('EMBEDDED_LOCKED', `another process took the lock \`${path}\` at the same time`, 'try again');
}

/** Writes the owner to a private file, then hard-links it into place: the lock is never seen half-written. */
function createExclusive(path: string, owner: LockOwner): boolean {
  const temp = `${path}.${owner.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** The lock's owner; null when the file is unreadable (treated as stale). */
function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

/** A process on another host cannot be checked, so it counts as live. */
function isLive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(path: string, pid: number): void {
  if (readOwner(path)?.pid !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}
