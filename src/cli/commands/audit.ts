/**
 * `parapet audit tail|search|verify|checkpoint|export|prune`: read, prove and keep the audit trail.
 * Every sub-command finds the store with `--audit PATH|URL`, `PARAPET_AUDIT`, the config file's
 * `audit` section, or `.parapet/audit.db` in the working directory (see src/audit/locate.ts).
 */
import { Command, Option } from 'commander';
import { runCheckpoint, runExport, runPrune, runSearch, runTail, runVerify, type CommandIO } from '../../audit/commands.js';
import { AuditError } from '../../audit/errors.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../audit/export.js';
import { defaultInstanceId } from '../../audit/index.js';
import { locateStore } from '../../audit/locate.js';
import type { Redaction } from '../../audit/record.js';
import type { Action } from '../../policy/types.js';
import { positive, when } from '../option-parsers.js';

interface StoreFlags {
  audit?: string;
  config?: string;
}

function io(): CommandIO {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), signal: controller.signal };
}

/** Resolves the store, then runs the command; config errors exit 2. */
async function run(command: Command, work: (config: ReturnType<typeof locateStore>, io: CommandIO) => Promise<number>): Promise<void> {
  const flags = command.optsWithGlobals<StoreFlags>();
  const out = io();
  let config;
  try {
    config = locateStore({ ...(flags.audit ? { audit: flags.audit } : {}), ...(flags.config ? { config: flags.config } : {}) });
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
    out.stderr(`error: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await work(config, out);
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('read, verify, export and prune the tamper-evident audit trail')
    .option('--audit <path|url>', 'audit store: a SQLite file or a postgres:// URL (default: $PARAPET_AUDIT, the config file, then .parapet/audit.db)')
    .option('--config <file>', 'config file whose `audit` section names the store (default: ./parapet.yaml when present)')
    .addHelpText('after', '\nThe HMAC key of a keyed chain comes from PARAPET_AUDIT_KEY or the config file\'s audit.hmacKey.');

  audit
    .command('tail')
    .description('print the latest records, oldest first')
    .option('-n, --lines <n>', 'how many records', positive, 20)
    .option('-f, --follow', 'keep printing new records as they arrive (Ctrl-C stops)')
    .option('--json', 'one JSON record per line')
    .action(async (opts: { lines: number; follow?: boolean; json?: boolean }, command: Command) =>
      run(command, (config, out) => runTail(config, { lines: opts.lines, follow: !!opts.follow, json: !!opts.json }, out)),
    );

  audit
    .command('search')
    .description('find records; all given filters must match (newest matches, shown oldest first)')
    .option('--actor <name>', 'authenticated actor')
    .option('--table <name>', '`table` (any schema) or `schema.table` read or written')
    .addOption(new Option('--decision <action>', 'decision records with this action').choices(['allow', 'deny', 'review']))
    .option('--rule <id>', 'decision records naming this rule')
    .addOption(new Option('--kind <kind>', 'record kind').choices(['session', 'decision', 'outcome', 'transaction', 'genesis', 'checkpoint']))
    .option('--session <id>', 'records of one session')
    .option('--since <time>', 'from this time on: ISO 8601 (2026-03-01T09:00Z) or an age (30m, 2h, 7d)', when)
    .option('--until <time>', 'before this time (same forms)', when)
    .option('--text <text>', 'records containing this text (statement, message, tags …)')
    .option('--limit <n>', 'at most this many matches', positive, 200)
    .option('--json', 'one JSON record per line')
    .action(async (opts: { actor?: string; table?: string; decision?: Action; rule?: string; kind?: never; session?: string; since?: string; until?: string; text?: string; limit: number; json?: boolean }, command: Command) => {
      const { limit, json, ...query } = opts;
      await run(command, (config, out) => runSearch(config, query, { limit, json: !!json }, out));
    });

  audit
    .command('verify')
    .description('check the hash chain; names the first bad record and why (exit 1 when it fails)')
    .option('--from <seq>', 'first record to check', positive)
    .option('--to <seq>', 'last record to check', positive)
    .option('--checkpoint <file>', 'also check against an exported checkpoint: catches a truncated tail or a rewritten chain')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { from?: number; to?: number; checkpoint?: string; json?: boolean }, command: Command) =>
      run(command, (config, out) => runVerify(config, { ...opts, json: !!opts.json }, out)),
    );

  audit
    .command('checkpoint')
    .description('export the chain head (record count and hash) to keep somewhere the store\'s writers cannot reach')
    .option('--out <file>', 'write it to this file (default: print it)')
    .action(async (opts: { out?: string }, command: Command) => run(command, (config, out) => runCheckpoint(config, opts, out)));

  audit
    .command('export')
    .description('write records for a SIEM or an archive')
    .addOption(new Option('--format <format>', 'jsonl: records as stored; cef: Common Event Format; otel: OTLP/JSON logs').choices(EXPORT_FORMATS).default('jsonl'))
    .option('--since <time>', 'from this time on (ISO 8601 or an age such as 7d)', when)
    .option('--until <time>', 'before this time', when)
    .option('--out <file>', 'write to this file (default: standard output)')
    .addOption(new Option('--redact <mode>', 'statement text: literals redacts records kept with redact none; passwords are never stored').choices(['literals', 'none']).default('literals'))
    .action(async (opts: { format: ExportFormat; since?: string; until?: string; out?: string; redact: Redaction }, command: Command) =>
      run(command, (config, out) => runExport(config, opts, out)),
    );

  audit
    .command('prune')
    .description('retention: remove records older than a date behind a checkpointed genesis record, so the rest still verifies')
    .requiredOption('--before <time>', 'remove records older than this: ISO 8601 or an age (90d keeps 90 days)', when)
    .option('--checkpoint-out <file>', 'export a fresh checkpoint after pruning')
    .action(async (opts: { before: string; checkpointOut?: string }, command: Command) =>
      run(command, (config, out) => runPrune(config, { ...opts, instance: `cli:${defaultInstanceId()}` }, out)),
    );
}
