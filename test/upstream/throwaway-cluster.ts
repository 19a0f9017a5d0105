/**
 * A throwaway PostgreSQL cluster for authentication tests (the shared server trusts TCP). initdb
 * refuses to run as root, so as root the server binaries run as `postgres` through runuser.
 * pg_hba: local trust; TCP md5 for `parapet_md5`, cleartext for `parapet_clear`, SCRAM for the rest.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = process.env.PARAPET_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export const ROLES = {
  scram: { user: 'parapet_scram', password: 'scram-pw ✓' },
  md5: { user: 'parapet_md5', password: 'md5-pw' },
  clear: { user: 'parapet_clear', password: 'clear-pw' },
} as const;

export interface Cluster {
  port: number;
  socketDir: string;
  /** Runs SQL as the superuser over the unix socket (psql, independent of the code under test). */
  psql(sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** Why a cluster cannot be made here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  if (!existsSync(join(BIN, 'initdb'))) return `no PostgreSQL server binaries in ${BIN}`;
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'running as root without runuser';
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startCluster(): Promise<Cluster> {
  const asRoot = process.getuid?.() === 0;
  const exec = (bin: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]) : run(join(BIN, bin), args);
  const dir = mkdtempSync('/tmp/parapet-pg-');
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    await exec('initdb', ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--auth-local=trust', '--auth-host=scram-sha-256']);
    const hba = [
      'local all all trust',
      `host all ${ROLES.md5.user} 127.0.0.1/32 md5`,
      `host all ${ROLES.clear.user} 127.0.0.1/32 password`,
      'host all all 127.0.0.1/32 scram-sha-256',
    ];
    writeFileSync(join(data, 'pg_hba.conf'), hba.join('\n') + '\n');
    const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await exec('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const cluster: Cluster = {
    port,
    socketDir: dir,
    async psql(sql) {
      return (await run(join(BIN, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql])).stdout;
    },
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
    await cluster.psql(
      [
        `set password_encryption = 'md5'`,
        `create role ${ROLES.md5.user} login password ${literal(ROLES.md5.password)}`,
        `set password_encryption = 'scram-sha-256'`,
        `create role ${ROLES.scram.user} login password ${literal(ROLES.scram.password)}`,
        `create role ${ROLES.clear.user} login password ${literal(ROLES.clear.password)}`,
      ].join('; '),
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
