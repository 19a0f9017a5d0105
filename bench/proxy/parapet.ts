/**
 * Parapet as an operator runs it: `node dist/src/cli/main.js serve --config FILE`, a separate
 * process, with the shipped default policy plus one actor for pgbench and the durable SQLite audit
 * trail (WAL, synchronous=NORMAL: every decision committed before its statement is forwarded).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { freePort, Service } from './processes.js';
import type { BenchDatabase } from './upstream.js';

export const BENCH_ACTOR = 'pgbench';
export const BENCH_PASSWORD = 'pgbench-bench-secret';

export interface RunningParapet {
  port: number;
  pid: number | undefined;
  auditPath: string;
  /** Records in the audit trail now. */
  auditRecords(): number;
  /** Stops the process (SIGTERM: the audit is flushed, a CPU profile written). */
  stop(): Promise<void>;
  /** The process's output so far. */
  output(): string;
}

/** The repository root: the first folder above this file holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json)');
    dir = up;
  }
  return dir;
}

/**
 * The shipped default policy, unchanged, plus the pgbench actor: a pipeline, which the default
 * policy lets change data (pgbench's TPC-B-like script updates rows by key).
 */
export function benchPolicy(root: string): string {
  const policy = readFileSync(join(root, 'policies', 'default.yaml'), 'utf8');
  if (/^actors:/m.test(policy)) throw new Error('policies/default.yaml now defines actors: the bench must merge its actor into them');
  return `${policy.trimEnd()}\n\nactors:\n  ${BENCH_ACTOR}:\n    kind: pipeline\n`;
}

export interface ParapetOptions {
  /** The CLI to run; this checkout's build by default. */
  main?: string | undefined;
  profileDir?: string | undefined;
  /** Node options before the script (V8 flags included). */
  nodeOptions?: string[];
}

export async function startParapet(db: BenchDatabase, dir: string, options: ParapetOptions): Promise<RunningParapet> {
  const root = repoRoot();
  const main = options.main ?? join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const auditPath = join(dir, 'audit.db');
  writeFileSync(join(dir, 'policy.yaml'), benchPolicy(root));
  writeFileSync(join(dir, 'secrets.yaml'), `actors:\n  ${BENCH_ACTOR}: { plaintext: ${JSON.stringify(BENCH_PASSWORD)} }\n`);
  writeFileSync(
    join(dir, 'parapet.yaml'),
    [
      `listen: 127.0.0.1:${port}`,
      'upstream:',
      `  url: postgres://${db.role}@${db.host}:${db.port}/${db.database}`,
      `policy: ${join(dir, 'policy.yaml')}`,
      `secrets: ${join(dir, 'secrets.yaml')}`,
      'audit:',
      '  store: sqlite',
      `  path: ${auditPath}`,
      '  synchronous: normal',
      '',
    ].join('\n'),
  );
  const nodeArgs = [...(options.nodeOptions ?? []), ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [])];
  const service = new Service('parapet', process.execPath, [...nodeArgs, main, 'serve', '--config', join(dir, 'parapet.yaml')]);
  try {
    await service.waitFor(/parapet: ready/, 60_000);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return {
    port,
    pid: service.child.pid,
    auditPath,
    auditRecords() {
      const sqlite = new Database(auditPath, { readonly: true, fileMustExist: true });
      try {
        return (sqlite.prepare('select count(*) as n from audit_record').get() as { n: number }).n;
      } finally {
        sqlite.close();
      }
    },
    async stop() {
      await service.stop();
      writeFileSync(join(dir, 'parapet.log'), service.output);
    },
    output: () => service.output,
  };
}
