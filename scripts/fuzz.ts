/**
 * A long protocol fuzz of the proxy: `npm run fuzz -- --count 1000000 [--seed N] [--concurrency N]`.
 *
 * Starts `parapet serve` (compiled, as a child process) in front of a throwaway database on the
 * local PostgreSQL (PGHOST_TEST / PGPORT_TEST / PGUSER_TEST, default 127.0.0.1:5432 as postgres),
 * sends `count` fuzzed frontend messages (test/fuzz/messages.ts) and prints the seed, the count and
 * the peak RSS. A failure prints the seed and the connection that reproduce it, and exits 1.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SECRETS, TEST_POLICY } from '../test/proxy/fixtures.js';
import { createUpstream } from '../test/support/proxy-harness.js';
import { scrape, spawnProxy } from '../test/faults/child-proxy.js';
import { FuzzFailure, runFuzz, type FuzzReport } from '../test/fuzz/engine.js';

const MiB = 1024 * 1024;

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--count N] [--seed N] [--concurrency N] [--rss-limit MiB]\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a whole number, got \`${value}\``);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'rss-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  usage((error as Error).message);
}
if (args.help) {
  process.stdout.write('npm run fuzz -- [--count N (default 100000)] [--seed N (default: random)] [--concurrency N (default 8)] [--rss-limit MiB (default 512)]\n');
  process.exit(0);
}
const count = integer(args.count, 'count', 100_000);
const seed = integer(args.seed, 'seed', Math.floor(Math.random() * 2 ** 31));
const concurrency = Math.max(1, integer(args.concurrency, 'concurrency', 8));
const rssLimit = integer(args['rss-limit'], 'rss-limit', 512) * MiB;

const line = (report: FuzzReport): string =>
  `${report.messages} messages, ${report.connections} connections, ${report.sideQueries} side queries, ` +
  `RSS ${(report.baselineRss / MiB).toFixed(1)} → peak ${(report.peakRss / MiB).toFixed(1)} MiB`;

process.stdout.write(`fuzz: seed ${seed}, count ${count}, concurrency ${concurrency}\n`);
const db = await createUpstream('parapet_fuzz');
const proxy = await spawnProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS, metrics: true });
let exitCode = 0;
try {
  const started = Date.now();
  const report = await runFuzz(
    {
      port: proxy.port,
      database: db.database,
      actors: [
        { user: 'alice', password: SECRETS.alice },
        { user: 'bot', password: SECRETS.bot },
      ],
      sideUrl: proxy.url('alice', SECRETS.alice, db.database),
      rss: () => proxy.memory().rss,
      exited: proxy.exited,
      openConnections: () => scrape(proxy, 'parapet_client_sockets'),
    },
    {
      seed,
      count,
      concurrency,
      rssGrowthLimit: rssLimit,
      progress: (_, r) => process.stdout.write(`fuzz: ${line(r)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`),
    },
  );
  const internal = proxy.log.filter((l) => /internal error|failed: /.test(l));
  process.stdout.write(`fuzz: done — seed ${seed}, ${line(report)}, ${(report.durationMs / 1000).toFixed(1)} s\n`);
  const figure = async (name: string): Promise<string> => ((await scrape(proxy, name)) / MiB).toFixed(1);
  process.stdout.write(
    `fuzz: proxy now: RSS ${(proxy.memory().rss / MiB).toFixed(1)} MiB; JS heap ${await figure('nodejs_heap_size_used_bytes')} MiB in use of ` +
      `${await figure('nodejs_heap_size_total_bytes')} MiB; external ${await figure('nodejs_external_memory_bytes')} MiB (mostly the parser's WebAssembly memory reservation)\n`,
  );
  if (internal.length > 0) {
    process.stdout.write(`fuzz: the proxy logged ${internal.length} internal error(s); reproduce with --seed ${seed}:\n${internal.slice(0, 20).join('\n')}\n`);
    exitCode = 1;
  }
} catch (error) {
  if (!(error instanceof FuzzFailure)) throw error;
  exitCode = 1;
  process.stdout.write(`fuzz: FAILED — ${error.message}\nfuzz: reproduce with: npm run fuzz -- --seed ${error.seed} --count ${count}\n`);
  if (error.script.length > 0) {
    const file = `fuzz-failure-${error.seed}-${error.connection}.txt`;
    writeFileSync(file, error.script.map((m) => `${m.label}\n${m.bytes.toString('hex')}\n`).join(''));
    process.stdout.write(`fuzz: the script of connection ${error.connection} is in ${file}\n`);
  }
  process.stdout.write(`fuzz: last lines of the proxy's log:\n${proxy.log.slice(-20).join('\n')}\n`);
} finally {
  await proxy.stop();
  await db.drop();
}
process.exit(exitCode);
