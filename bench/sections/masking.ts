/**
 * Result guard and impact benches, against the local PostgreSQL (a throwaway database):
 *   - masking overhead: a 100k-row result read through the session's result guards, masked (two of
 *     four columns, by origin) vs the same query unmasked — end to end and for the transform alone
 *     over recorded frames. Goal (issue 6): masked ≤ 1.3× unmasked;
 *   - impact latency on a 10k-row table: a 100-row UPDATE run plainly, with an estimate
 *     (EXPLAIN on the session first) and with an exact count (savepoint run, kept).
 *
 * Run alone: `node --import tsx bench/sections/masking.ts`.
 */
import { SearchPathTracker } from '../../src/catalog/search-path.js';
import { catalogConnection } from '../../src/catalog/connection.js';
import { LiveCatalog } from '../../src/catalog/live-catalog.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import type { Frame } from '../../src/protocol/frame-reader.js';
import type { Decision } from '../../src/policy/types.js';
import { analyze, initParser } from '../../src/sql/index.js';
import { connectUpstream, type UpstreamConnection } from '../../src/upstream/connect.js';
import { FrameSource } from '../../src/upstream/frame-source.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { simpleQuery, simpleQueryResult } from '../../src/upstream/simple-query.js';
import { SessionResults } from '../../src/results/session-results.js';
import { maskingFor } from '../../src/results/masking-policy.js';
import { sessionImpact } from '../../src/impact/impact-port.js';
import { runExact } from '../../src/impact/exact-run.js';
import { createUpstream } from '../../test/support/proxy-harness.js';
import { PG_HOST, PG_PORT, postgresReachable } from '../../test/support/postgres.js';
import { micros, table } from '../report.js';
import type { BenchSection } from '../section.js';

const policyText = (style: string) => `
version: 1
defaults: { agent: allow }
actors:
  agent: { kind: agent }
resources:
  tags:
    public.people.email: [pii]
    public.people.ssn: [secret]
rules:
  - rule: mask-columns
    params: { tags: [pii, secret], style: '${style}'${style === 'partial' ? ', keep: 4' : ''} }
`;
const ALLOW: Decision = { action: 'allow', rules: [], message: 'allowed', obligations: {}, reasons: [], errors: [] };
const QUERY = 'SELECT id, name, email, ssn FROM people';

/** Reads one simple query's reply frames (copies), without looking at them. */
async function record(conn: UpstreamConnection, sql: string): Promise<Frame[]> {
  const source = new FrameSource(conn.socket, conn.reader, 'bench', (e) => new UpstreamError('closed', e.message));
  const frames: Frame[] = [];
  try {
    conn.socket.write(fe.query(sql));
    for (;;) {
      const f = await source.next();
      const raw = Buffer.from(f.raw);
      frames.push({ code: f.code, payload: raw.subarray(5), raw });
      if (f.code === 0x5a) return frames;
    }
  } finally {
    source.release();
  }
}

/** Runs the query and pushes every frame through the result guards, as the proxy would. */
async function throughGuards(conn: UpstreamConnection, results: SessionResults): Promise<number> {
  const source = new FrameSource(conn.socket, conn.reader, 'bench', (e) => new UpstreamError('closed', e.message));
  let bytes = 0;
  try {
    results.query([{ analysis: analyze(QUERY).statements[0]!, decision: ALLOW }]);
    conn.socket.write(fe.query(QUERY));
    for (;;) {
      const f = await source.next();
      const out = await results.push(f);
      for (const b of out.send) bytes += b.length;
      if (f.code === 0x5a) return bytes;
    }
  } finally {
    source.release();
  }
}

/** Runs `a` and `b` alternately; median and best time of each, in µs. */
async function alternate(runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[{ median: number; best: number }, { median: number; best: number }]> {
  const times: [number[], number[]] = [[], []];
  await a();
  await b();
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of [a, b].entries()) {
      const started = process.hrtime.bigint();
      await fn();
      times[k]!.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  }
  const stats = (t: number[]) => {
    const sorted = [...t].sort((x, y) => x - y);
    return { median: sorted[Math.floor(sorted.length / 2)]!, best: sorted[0]! };
  };
  return [stats(times[0]), stats(times[1])];
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  await fn();
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

export async function runMaskingBench(): Promise<void> {
  if (!(await postgresReachable())) {
    console.log(`PostgreSQL at ${PG_HOST}:${PG_PORT} is unreachable: skipped`);
    return;
  }
  await initParser();
  const upstream = await createUpstream('parapet_bench_mask');
  const connect = () => connectUpstream({ host: PG_HOST, port: PG_PORT, user: upstream.role, password: upstream.password, database: upstream.database });
  const conn = await connect();
  const queries = catalogConnection({ open: connect });
  try {
    await simpleQuery(conn, `CREATE TABLE people (id int PRIMARY KEY, name text, email text, ssn text);
      INSERT INTO people SELECT g, 'name ' || g, 'user' || g || '@example.com', lpad(g::text, 9, '0') FROM generate_series(1, 100000) g;
      CREATE TABLE items (id int PRIMARY KEY, v int);
      INSERT INTO items SELECT g, 0 FROM generate_series(1, 10000) g;
      ANALYZE`);
    const policyFor = (style: string) => {
      const loaded = loadPolicy(policyText(style));
      if (!loaded.ok) throw new Error(`bench policy does not load: ${JSON.stringify(loaded.issues)}`);
      return loaded.policy;
    };
    const catalog = new LiveCatalog({ db: queries, policy: policyFor('redact') });
    const resolution = { searchPath: new SearchPathTracker('"$user", public', upstream.role).state };
    const key = Buffer.from('bench-key');
    const guards = (style?: string) => {
      const policy = style ? policyFor(style) : undefined;
      const masking = policy ? maskingFor(policy, policy.actors.get('agent')!, policy.environment) : undefined;
      return new SessionResults({ catalog, resolution: () => resolution, maskKey: key, ...(masking ? { masking } : {}) });
    };
    const frames = await record(conn, QUERY);
    const transform = async (results: SessionResults) => {
      results.query([{ analysis: analyze(QUERY).statements[0]!, decision: ALLOW }]);
      for (const f of frames) await results.push(f);
    };
    // Unmasked and masked runs alternate, so load from elsewhere hits both alike; the best of each
    // is reported beside the median, as the least disturbed figure.
    const runs = 15;
    const plain = guards();
    const rows: (string | number)[][] = [];
    for (const style of ['redact', 'partial', 'null', 'hash']) {
      const masked = guards(style);
      const [endPlain, endMasked] = await alternate(runs, () => throughGuards(conn, plain), () => throughGuards(conn, masked));
      const [purePlain, pureMasked] = await alternate(runs, () => transform(plain), () => transform(masked));
      rows.push([
        style,
        `${micros(endPlain.median / 1000)} / ${micros(endMasked.median / 1000)}`,
        `${(endMasked.median / endPlain.median).toFixed(2)}×`,
        `${(endMasked.best / endPlain.best).toFixed(2)}×`,
        `${micros(purePlain.best / 1000)} / ${micros(pureMasked.best / 1000)}`,
      ]);
    }
    console.log('100,000 rows × 4 columns, 2 of them masked by origin (15 alternating runs):\n');
    console.log(table(['style', 'end to end ms (unmasked / masked, median)', 'median ratio', 'best ratio', 'guards alone ms (best)'], rows));

    // Impact: a 100-row UPDATE on the 10k-row table.
    const sql = 'UPDATE items SET v = v + 1 WHERE id <= 100';
    const statement = analyze(sql).statements[0]!;
    const impact = sessionImpact({ catalog, runner: { query: (q) => simpleQueryResult(conn, q) }, mode: 'estimate' });
    const iterations = 50;
    const baseline = await timed(iterations, () => simpleQuery(conn, sql));
    const estimate = await timed(iterations, async () => {
      await impact.measure(statement, { transaction: 'idle' });
      await simpleQuery(conn, sql);
    });
    const exact = await timed(iterations, async () => {
      const run = await runExact(conn, { message: fe.query(sql), status: 'I', countAll: false, holdRows: 1000 });
      await run.keep();
    });
    console.log('\nUPDATE of 100 rows in a 10,000-row table (median of 50):\n');
    console.log(
      table(
        ['mode', 'ms', 'extra ms'],
        [
          ['no impact check', micros(baseline / 1000), '0'],
          ['estimate (EXPLAIN, then run)', micros(estimate / 1000), micros((estimate - baseline) / 1000)],
          ['exact (savepoint run, count, keep)', micros(exact / 1000), micros((exact - baseline) / 1000)],
        ],
      ),
    );
  } finally {
    conn.close();
    queries.close();
    await upstream.drop();
  }
}

export const maskingSection: BenchSection = {
  name: 'masking',
  summary: 'result masking overhead (100k rows) and impact-check latency (10k-row table)',
  run: runMaskingBench,
};

if (process.argv[1]?.endsWith('masking.ts') || process.argv[1]?.endsWith('masking.js')) await runMaskingBench();
