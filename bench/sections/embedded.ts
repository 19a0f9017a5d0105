/**
 * The embedded default's catalog loans (src/catalog/lent-queries.ts), on the sample PGlite database:
 *   - an empty loan: what a `prepare` that has to read costs at least (open and restore: two
 *     round trips), idle and inside a transaction (savepoint);
 *   - a loan that reloads the whole catalog snapshot and reads the user views' lineage (after DDL,
 *     or at connect when the next transaction id moved);
 *   - for scale, a plain simple query on the same session.
 * Run alone: `node --import tsx bench/sections/embedded.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLentQueries } from '../../src/catalog/lent-queries.js';
import { LiveCatalog } from '../../src/catalog/live-catalog.js';
import { startEmbedded } from '../../src/embedded/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { connectUpstream, type UpstreamConnection } from '../../src/upstream/connect.js';
import { simpleQuery } from '../../src/upstream/simple-query.js';
import { summarize, type Summary } from '../measure.js';
import { micros, table } from '../report.js';
import type { BenchSection } from '../section.js';

async function timed(times: number, fn: () => Promise<unknown>): Promise<Summary> {
  for (let i = 0; i < Math.min(20, times); i++) await fn();
  const samples = new Float64Array(times);
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return summarize(samples);
}

const session = (conn: UpstreamConnection, status: 'I' | 'T') => ({ socket: conn.socket, reader: conn.reader, status });

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-embedded-'));
  const db = await startEmbedded({ dataDir: join(dir, 'pgdata') });
  try {
    const conn = await connectUpstream({ host: db.host, port: db.port, user: db.user, database: db.database });
    const loaded = loadPolicy('version: 1\n');
    if (!loaded.ok) throw new Error('policy');
    const rows: (string | number)[][] = [];
    const add = (what: string, s: Summary) => rows.push([what, s.calls, micros(s.median), micros(s.p99)]);
    add('plain simple query (SELECT 1)', await timed(300, () => simpleQuery(conn, 'SELECT 1')));
    add('empty loan, idle', await timed(300, () => withLentQueries(session(conn, 'I'), async () => {})));
    await simpleQuery(conn, 'BEGIN');
    add('empty loan, in a transaction', await timed(300, () => withLentQueries(session(conn, 'T'), async () => {})));
    await simpleQuery(conn, 'ROLLBACK');
    add(
      'loan: reload the snapshot + user views’ lineage',
      await timed(30, () =>
        withLentQueries(session(conn, 'I'), async (reads) => {
          const catalog = new LiveCatalog({ db: { ...reads, close() {}, inTransaction: true }, policy: loaded.policy });
          const snapshot = await catalog.refresh();
          for (const entry of snapshot.relations.values()) {
            if (entry.kind === 'view' && entry.schema === 'public') await catalog.factsFor(entry.oid);
          }
        }),
      ),
    );
    conn.close();
    console.log(table(['on the sample PGlite database', 'calls', 'median µs', 'p99 µs'], rows));
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const embeddedSection: BenchSection = {
  name: 'embedded',
  summary: 'the embedded default: catalog reads lent on the client session',
  run,
};

if (import.meta.url === `file://${process.argv[1]}`) await run();
