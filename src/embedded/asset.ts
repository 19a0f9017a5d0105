/**
 * The shipped pre-seeded data directory: `assets/embedded/sample-pgdata.tar.br` (a brotli-compressed
 * tar made by `scripts/build-embedded-data.ts`) and `manifest.json` describing it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { EmbeddedError } from './errors.js';
import { packageFile } from './package-root.js';

export const ASSET_FILE = 'sample-pgdata.tar.br';
export const MANIFEST_FILE = 'manifest.json';

/** What `manifest.json` records about the shipped data directory. */
export interface AssetManifest {
  format: 1;
  /** The PGlite version that wrote the data directory; it opens only with a compatible one. */
  pglite: string;
  /** `PG_VERSION` of the data directory. */
  postgresMajor: string;
  file: string;
  /** SHA-256 (hex) of the compressed file. */
  sha256: string;
  compressedBytes: number;
  tarBytes: number;
  seed: number;
  rows: Record<string, number>;
}

/** `assets/embedded` of this package. */
export function assetDir(): string {
  return packageFile('assets', 'embedded');
}

export function readManifest(dir: string = assetDir()): AssetManifest {
  const path = join(dir, MANIFEST_FILE);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AssetManifest;
  } catch (error) {
    throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `cannot read \`${path}\`: ${(error as Error).message}`);
  }
}

/** The uncompressed tar, after checking the compressed file against the manifest's hash. */
export function readAssetTar(manifest: AssetManifest, dir: string = assetDir()): Uint8Array {
  const path = join(dir, manifest.file);
  let compressed: Buffer;
  try {
    compressed = readFileSync(path);
  } catch (error) {
    throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `cannot read \`${path}\`: ${(error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(compressed).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new EmbeddedError(
      'EMBEDDED_ASSET_INVALID',
      `\`${path}\` does not match its manifest (sha256 ${sha256.slice(0, 12)}…)`,
      'a Git LFS pointer or a partial checkout looks like this; rebuild it with `npx tsx scripts/build-embedded-data.ts`',
    );
  }
  return brotliDecompressSync(compressed);
}

/** The installed `@electric-sql/pglite` version (its package.json is not in its export map). */
export function installedPgliteVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/**
 * A data directory opens with the PGlite that wrote it or a later patch release. Before 1.0 a
 * minor release may change the PostgreSQL major or the on-disk format, so major.minor must match.
 */
export function compatiblePglite(written: string, installed: string): boolean {
  const [wMajor, wMinor] = written.split('.');
  const [iMajor, iMinor] = installed.split('.');
  return wMajor === iMajor && wMinor === iMinor;
}
