/**
 * PgBouncer in session mode in front of the bench database: the reference a proxy is measured
 * against. Its config lives in the run's temporary folder; clients log in without a password
 * (`auth_type = trust`, the role listed in the userlist), as they do directly.
 */
import { chownSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, mustRun, Service, waitForPort } from './processes.js';
import type { BenchDatabase } from './upstream.js';

export interface RunningPgBouncer {
  port: number;
  pid: number | undefined;
  version: string;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install it with `apt-get install -y pgbouncer` (Debian/Ubuntu), or leave it out with --targets direct,parapet';

/** The pgbouncer binary; installs the Debian package when missing and running as root. */
async function pgbouncerBinary(log: (line: string) => void): Promise<string> {
  const candidates = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error(`pgbouncer is not installed: ${INSTALL_HINT}`);
  log('pgbouncer is not installed; installing the Debian package (apt-get install -y pgbouncer)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await mustRun('apt-get', ['install', '-y', 'pgbouncer'], env);
  } catch {
    await mustRun('apt-get', ['update'], env);
    await mustRun('apt-get', ['install', '-y', 'pgbouncer'], env);
  }
  const installed = candidates.find((c) => existsSync(c));
  if (!installed) throw new Error(`pgbouncer is still missing after apt-get: ${INSTALL_HINT}`);
  return installed;
}

export async function startPgBouncer(db: BenchDatabase, dir: string, clients: number, log: (line: string) => void): Promise<RunningPgBouncer> {
  const binary = await pgbouncerBinary(log);
  const version = (await mustRun(binary, ['--version'])).split('\n')[0]!.trim();
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const userlist = join(dir, 'userlist.txt');
  writeFileSync(userlist, `"${db.role}" ""\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `${db.database} = host=${db.host} port=${db.port} dbname=${db.database} user=${db.role}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${userlist}`,
      'pool_mode = session',
      `max_client_conn = ${Math.max(100, clients * 2)}`,
      `default_pool_size = ${Math.max(20, clients)}`,
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      // pgbench and libpq send nothing extra, but keep drivers that do from failing.
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root: then it runs as the `postgres` OS user (setpriv execs, so
  // signals reach PgBouncer itself).
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await mustRun('id', ['-u', 'postgres'])).trim());
    const gid = Number((await mustRun('id', ['-g', 'postgres'])).trim());
    for (const file of [dir, ini, userlist]) chownSync(file, uid, gid);
  }
  const service = asRoot
    ? new Service('pgbouncer', 'setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', binary, ini])
    : new Service('pgbouncer', binary, [ini]);
  try {
    await waitForPort(port, 15_000, () => service.exited());
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { port, version, pid: service.child.pid, stop: () => service.stop() };
}
