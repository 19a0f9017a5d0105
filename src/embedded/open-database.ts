/**
 * Opens the sample database on its data directory, creating the directory on first start: from the
 * shipped pre-seeded asset when this PGlite can read it, otherwise by initdb and the sample SQL.
 * Runs in the database process, with the data directory's lock held.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { compatiblePglite, installedPgliteVersion, readAssetTar, readManifest } from './asset.js';
import { EmbeddedError } from './errors.js';
import type { SeedSource } from './ipc.js';
import { SAMPLE_FINISH_STATEMENTS, sampleSql } from './sample/sample-sql.js';
import { readTar } from './tar.js';

/** Present while a data directory is being created; a directory that still has it is discarded. */
const SEEDING_MARKER = 'parapet-seeding';

type DataDirState = 'missing' | 'ready' | 'interrupted' | 'foreign';

export async function openDatabase(
  dataDir: string,
  log: (line: string) => void,
  assetDir?: string,
): Promise<{ db: PGlite; source: SeedSource }> {
  const state = inspectDataDir(dataDir);
  if (state === 'foreign') {
    throw new EmbeddedError(
      'EMBEDDED_DATA_DIR_INVALID',
      `\`${dataDir}\` exists and is not an embedded database directory`,
      'pass an empty or new directory',
    );
  }
  if (state === 'ready') {
    log(`opening the embedded database in \`${dataDir}\``);
    return { db: await openExisting(dataDir), source: 'existing' };
  }
  if (state === 'interrupted') {
    log(`an earlier start stopped while creating \`${dataDir}\`; creating it again`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const fromAsset = await tryFromAsset(dataDir, log, assetDir);
  const opened = fromAsset ? { db: fromAsset, source: 'asset' as const } : { db: await fromSql(dataDir, log), source: 'sql' as const };
  unlinkSync(join(dataDir, SEEDING_MARKER));
  return opened;
}

function inspectDataDir(dataDir: string): DataDirState {
  if (!existsSync(dataDir)) return 'missing';
  if (!statSync(dataDir).isDirectory()) return 'foreign';
  if (existsSync(join(dataDir, SEEDING_MARKER))) return 'interrupted';
  if (existsSync(join(dataDir, 'PG_VERSION'))) return 'ready';
  return readdirSync(dataDir).length === 0 ? 'missing' : 'foreign';
}

async function openExisting(dataDir: string): Promise<PGlite> {
  try {
    return await PGlite.create({ dataDir });
  } catch (error) {
    throw new EmbeddedError(
      'EMBEDDED_START_FAILED',
      `cannot open the embedded database in \`${dataDir}\`: ${(error as Error).message}`,
      'a PGlite upgrade can make an old data directory unreadable; delete the directory to start again from the sample data',
    );
  }
}

function startSeeding(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, SEEDING_MARKER), '');
}

/** The database from the shipped asset, or undefined (with the reason logged) when it cannot be used. */
async function tryFromAsset(
  dataDir: string,
  log: (line: string) => void,
  assetDir?: string,
): Promise<PGlite | undefined> {
  let tar: Uint8Array;
  try {
    const manifest = readManifest(assetDir);
    const installed = installedPgliteVersion();
    if (!compatiblePglite(manifest.pglite, installed)) {
      log(`the shipped sample data was written by PGlite ${manifest.pglite}, this is ${installed}`);
      return undefined;
    }
    tar = readAssetTar(manifest, assetDir);
  } catch (error) {
    log(`the shipped sample data cannot be used: ${(error as Error).message}`);
    return undefined;
  }
  log(`unpacking the sample database into \`${dataDir}\``);
  startSeeding(dataDir);
  for (const entry of readTar(tar)) {
    const target = join(dataDir, entry.path);
    if (entry.type === 'directory') {
      mkdirSync(target, { recursive: true, mode: entry.mode & 0o777 || 0o700 });
    } else {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      writeFileSync(target, entry.data, { mode: entry.mode & 0o777 || 0o600 });
    }
  }
  try {
    return await PGlite.create({ dataDir });
  } catch (error) {
    log(`the unpacked sample data does not open: ${(error as Error).message}`);
    rmSync(dataDir, { recursive: true, force: true });
    return undefined;
  }
}

async function fromSql(dataDir: string, log: (line: string) => void): Promise<PGlite> {
  log('building the sample database from SQL (initdb takes a few seconds)');
  startSeeding(dataDir);
  const db = await PGlite.create({ dataDir });
  await db.exec(sampleSql());
  for (const statement of SAMPLE_FINISH_STATEMENTS) await db.exec(statement);
  return db;
}
