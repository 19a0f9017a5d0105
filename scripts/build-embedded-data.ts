/**
 * Builds the embedded default's pre-seeded data directory:
 *   assets/embedded/sample-pgdata.tar.br   PGlite's data directory (tar), brotli-compressed
 *   assets/embedded/manifest.json          PGlite version, PG_VERSION, sha256, row counts
 *
 * Run it after changing the sample data (src/embedded/sample/) or upgrading PGlite:
 *   npx tsx scripts/build-embedded-data.ts
 *
 * The rows come from a fixed seed and are the same on every run; the archive's bytes are not
 * (file times, WAL contents), so rebuild only when something changed.
 *
 * Why brotli: the data directory is ~40 MB, mostly three near-identical databases (template0,
 * template1, postgres) and a 16 MB WAL segment. gzip's 32 KB window cannot see the repetition
 * (~5 MB); brotli with a 16 MB window can (~2 MB), and node:zlib decompresses it with no extra
 * package.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { ASSET_FILE, MANIFEST_FILE, installedPgliteVersion, type AssetManifest } from '../src/embedded/asset.js';
import { SAMPLE_SEED, generateSampleDataset } from '../src/embedded/sample/sample-dataset.js';
import { SAMPLE_FINISH_STATEMENTS, sampleSql } from '../src/embedded/sample/sample-sql.js';
import { readTar } from '../src/embedded/tar.js';

// This file runs from scripts/ (tsx) or dist/scripts/ (compiled).
const self = fileURLToPath(import.meta.url);
const root = resolve(dirname(self), self.endsWith('.ts') ? '..' : '../..');
const outDir = join(root, 'assets', 'embedded');

const started = Date.now();
const db = await PGlite.create();
console.log(`initdb: ${Date.now() - started} ms`);
const dataset = generateSampleDataset(SAMPLE_SEED);
await db.exec(sampleSql(dataset));
for (const statement of SAMPLE_FINISH_STATEMENTS) await db.exec(statement);

const rows: Record<string, number> = {};
for (const table of Object.keys(dataset)) {
  const result = await db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  rows[table] = result.rows[0]!.n;
}
const tar = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
await db.close();

const pgVersion = readTar(tar).find((entry) => entry.path === 'PG_VERSION');
if (!pgVersion) throw new Error('the dumped data directory has no PG_VERSION');
const compressed = brotliCompressSync(tar, {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 9,
    [constants.BROTLI_PARAM_LGWIN]: 24,
    [constants.BROTLI_PARAM_SIZE_HINT]: tar.length,
  },
});

const manifest: AssetManifest = {
  format: 1,
  pglite: installedPgliteVersion(),
  postgresMajor: new TextDecoder().decode(pgVersion.data).trim(),
  file: ASSET_FILE,
  sha256: createHash('sha256').update(compressed).digest('hex'),
  compressedBytes: compressed.length,
  tarBytes: tar.length,
  seed: SAMPLE_SEED,
  rows,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, ASSET_FILE), compressed);
writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${join(outDir, ASSET_FILE)}: ${(compressed.length / 1e6).toFixed(2)} MB (tar ${(tar.length / 1e6).toFixed(1)} MB)`);
console.log(`rows: ${JSON.stringify(rows)}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
