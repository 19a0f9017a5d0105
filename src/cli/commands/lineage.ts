/**
 * `parapet lineage upstream|downstream|timeline|events`: data lineage rebuilt from the audit trail —
 * which tables fed which, who changed a table and who was stopped, and OpenLineage events.
 * The store is found as for `parapet audit` (`--audit`, PARAPET_AUDIT, the config file, the default).
 */
import { Command } from 'commander';
import type { CommandIO } from '../../audit/commands.js';
import { AuditError } from '../../audit/errors.js';
import { locateStore } from '../../audit/locate.js';
import { runEventsExport, runTimeline, runWalk } from '../../lineage/commands.js';
import { DEFAULT_NAMESPACE } from '../../lineage/emitter.js';
import { positive, when } from '../option-parsers.js';

async function run(command: Command, work: (config: ReturnType<typeof locateStore>, io: CommandIO) => Promise<number>): Promise<void> {
  const flags = command.optsWithGlobals<{ audit?: string; config?: string }>();
  const io: CommandIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  try {
    const config = locateStore({ ...(flags.audit ? { audit: flags.audit } : {}), ...(flags.config ? { config: flags.config } : {}) });
    process.exitCode = await work(config, io);
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
    io.stderr(`error: ${err.message}\n`);
    process.exitCode = 2;
  }
}

export function register(program: Command): void {
  const lineage = program
    .command('lineage')
    .description('data lineage from the audit trail: table and column edges of committed writes, timelines, OpenLineage events')
    .option('--audit <path|url>', 'audit store: a SQLite file or a postgres:// URL (default: $PARAPET_AUDIT, the config file, then .parapet/audit.db)')
    .option('--config <file>', 'config file whose `audit` section names the store (default: ./parapet.yaml when present)')
    .addHelpText('after', '\nTables are matched as written: `orders` matches any schema, `public.orders` that table and the unqualified name.');

  for (const direction of ['upstream', 'downstream'] as const) {
    lineage
      .command(direction)
      .argument('<table>', '`table` or `schema.table`')
      .description(direction === 'upstream' ? 'the tables a table was filled from, hop by hop (committed writes only)' : 'the tables a table fed, hop by hop (committed writes only)')
      .option('--depth <n>', 'how many hops to follow (default: all)', positive)
      .option('--json', 'one JSON edge per line')
      .action(async (table: string, opts: { depth?: number; json?: boolean }, command: Command) =>
        run(command, (config, io) => runWalk(config, table, direction, { ...(opts.depth ? { depth: opts.depth } : {}), json: !!opts.json }, io)),
      );
  }

  lineage
    .command('timeline')
    .argument('<table>', '`table` or `schema.table`')
    .description('every change and every blocked attempt on a table, in order, with who and why (committed, aborted, failed, pending, denied, held)')
    .option('--since <time>', 'from this time on: ISO 8601 or an age (30m, 2h, 7d)', when)
    .option('--until <time>', 'before this time (same forms)', when)
    .option('--json', 'one JSON entry per line')
    .action(async (table: string, opts: { since?: string; until?: string; json?: boolean }, command: Command) =>
      run(command, (config, io) => runTimeline(config, table, { ...opts, json: !!opts.json }, io)),
    );

  lineage
    .command('events')
    .description('OpenLineage RunEvents (NDJSON) of the transactions in the audit trail, e.g. to backfill Marquez')
    .option('--namespace <url>', 'dataset namespace, the upstream as postgres://host:port', DEFAULT_NAMESPACE)
    .option('--job-namespace <name>', 'job namespace', 'parapet')
    .option('--since <time>', 'transactions that ended from this time on', when)
    .option('--until <time>', 'transactions that ended before this time', when)
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(async (opts: { namespace: string; jobNamespace: string; since?: string; until?: string; out?: string }, command: Command) =>
      run(command, (config, io) => runEventsExport(config, opts, io)),
    );
}
