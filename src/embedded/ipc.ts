/** Messages between `startEmbedded` (parent) and the database process (`server-process.ts`). */
import type { EmbeddedErrorData } from './errors.js';

/** How the data directory came to be: reopened, unpacked from the shipped asset, or built from SQL. */
export type SeedSource = 'existing' | 'asset' | 'sql';

/** Passed as the child's only argument, JSON-encoded (visible in `ps`, which helps find a stray one). */
export interface ChildConfig {
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Socket connections pglite-socket accepts at once (sessions are still one at a time). */
  connections: number;
  /** Where the shipped asset is; absent means this package's `assets/embedded`. */
  assetDir?: string;
}

export type ChildMessage =
  | { type: 'log'; line: string }
  | { type: 'ready'; host: string; port: number; source: SeedSource }
  | { type: 'failed'; error: EmbeddedErrorData };

export type ParentMessage = { type: 'stop' };
