/**
 * A PostgreSQL cluster of its own for tests that must not touch the shared server (the regression
 * SQL creates roles, tablespaces and other global objects): initdb into a temporary directory, a
 * free port, its own socket directory; stopped and removed on dispose.
 *
 *   await using cluster = await startThrowawayCluster({ settings: { statement_timeout: '5s' } });
 *   const client = new pg.Client({ connectionString: cluster.url('postgres') });
 *
 * initdb refuses to run as root, so under root the server runs as the `postgres` OS user
 * (`runuser -u postgres --`). Binaries come from PARAPET_PG_BIN, else the newest
 * /usr/lib/postgresql/<version>/bin, else PATH.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ThrowawayClusterOptions {
  /** Server settings passed as `-c name=value` (e.g. `{ statement_timeout: '5s' }`). */
  settings?: Record<string, string | number | boolean>;
  /** Superuser name; `postgres` by default. */
  user?: string;
}

export interface ThrowawayCluster extends AsyncDisposable {
  port: number;
  /** Directory holding the server's Unix socket. */
  socketDir: string;
  dataDir: string;
  user: string;
  /** Binary directory in use (for pg_dump, psql…); empty when taken from PATH. */
  binDir: string;
  /** TCP connection URL for a database on this cluster. */
  url(database?: string): string;
  /** Stops the server and removes every file; safe to call twice. */
  stop(): Promise<void>;
}

/** Where the PostgreSQL server binaries are, or `''` to rely on PATH. */
export function postgresBinDir(): string {
  if (process.env.PARAPET_PG_BIN) return process.env.PARAPET_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return '';
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : '';
}

/** Whether a cluster can be started here (binaries found), for skipping tests that need one. */
export function canStartCluster(): boolean {
  const bin = postgresBinDir();
  return bin ? existsSync(join(bin, 'initdb')) : false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a server binary, as the `postgres` OS user when we are root. */
async function runAs(asPostgres: boolean, binary: string, args: string[]): Promise<void> {
  if (asPostgres) await run('runuser', ['-u', 'postgres', '--', binary, ...args]);
  else await run(binary, args);
}

async function osUserIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startThrowawayCluster(options: ThrowawayClusterOptions = {}): Promise<ThrowawayCluster> {
  const binDir = postgresBinDir();
  const bin = (name: string) => (binDir ? join(binDir, name) : name);
  const user = options.user ?? 'postgres';
  const asPostgres = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), 'parapet-cluster-'));
  const dataDir = join(root, 'data');
  const socketDir = root;
  const logFile = join(root, 'server.log');
  if (asPostgres) {
    const { uid, gid } = await osUserIds('postgres');
    chownSync(root, uid, gid);
  }
  let stopped = false;
  let started = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (started) await runAs(asPostgres, bin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    await runAs(asPostgres, bin('initdb'), ['-D', dataDir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const settings: Record<string, string | number | boolean> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: socketDir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...options.settings,
    };
    // A port can be taken between probing and binding; try a few.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const serverOptions = Object.entries({ ...settings, port })
        .map(([k, v]) => `-c ${k}=${quoteOption(String(v))}`)
        .join(' ');
      try {
        await runAs(asPostgres, bin('pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
      } catch (error) {
        if (attempt < 3) continue;
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
        throw new Error(`throwaway cluster did not start: ${(error as Error).message}\n${log}`);
      }
      started = true;
      return {
        port,
        socketDir,
        dataDir,
        user,
        binDir,
        url: (database = 'postgres') => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
        stop,
        [Symbol.asyncDispose]: stop,
      };
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** pg_ctl passes -o through a shell: quote values that need it. */
function quoteOption(value: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
