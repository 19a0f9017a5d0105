/**
 * Masking overhead through the proxy as an operator runs it (`parapet serve`, its own process): a
 * 100k-row result with `email` and `ssn` masked by origin, per style, against the same query for an
 * actor with nothing masked, on the same proxy. Reports wall time (client's view, upstream included)
 * and the proxy process's CPU time per query (from /proc), median of the rounds. Goal (issue 6):
 * masked ≤ 1.3× unmasked.
 *
 *   MASKING_BENCH_ROUNDS=N              rounds (default 7); each runs every actor once, rotated
 *   MASKING_BENCH_REFERENCE=<main.js>   also measure another build (e.g. main's dist/src/cli/main.js)
 *   MASKING_BENCH_PROFILE=<dir>         write a CPU profile of this build's proxy there
 *
 * Run alone: `node dist/bench/run.js masking-proxy`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectUpstream } from '../../src/upstream/connect.js';
import { simpleQuery } from '../../src/upstream/simple-query.js';
import { createUpstream, type TestUpstream } from '../../test/support/proxy-harness.js';
import { RawClient } from '../../test/proxy/raw-client.js';
import { PG_HOST, PG_PORT, postgresReachable } from '../../test/support/postgres.js';
import { repoRoot } from '../proxy/parapet.js';
import { cpuTime, freePort, Service } from '../proxy/processes.js';
import { micros, table, type Cell } from '../report.js';
import type { BenchSection } from '../section.js';

const ROWS = 100_000;
/** Queries per sample: the proxy's CPU time is read in 10 ms ticks, so one sample spans several. */
const QUERIES_PER_SAMPLE = 3;
const QUERY = 'SELECT id, name, email, ssn FROM people';
const STYLES = ['redact', 'null', 'partial', 'hash'] as const;
/** The unmasked actor, then one actor per style. */
const ACTORS = ['plain', ...STYLES] as const;
type Actor = (typeof ACTORS)[number];
const PASSWORD = 'masking-bench';

const POLICY = `version: 1
defaults: { agent: allow }
actors:
${ACTORS.map((a) => `  '${a}': { kind: agent }`).join('\n')}
resources:
  tags:
    public.people.email: [pii]
    public.people.ssn: [secret]
rules:
${STYLES.map((s) => `  - rule: mask-columns\n    actors: ['${s}']\n    params: { tags: [pii, secret], style: '${s}'${s === 'partial' ? ', keep: 4' : ''} }`).join('\n')}
`;

interface Proxy {
  name: string;
  port: number;
  service: Service;
}

/** Starts `main` (a build's dist/src/cli/main.js) serving the bench upstream; `hashKeyFile` for builds that know it. */
async function startProxy(name: string, main: string, dir: string, upstream: TestUpstream, hashKeyFile: string | undefined, profileDir?: string): Promise<Proxy> {
  const port = await freePort();
  const lines = [
    `listen: 127.0.0.1:${port}`,
    `upstream:\n  url: ${upstream.url}`,
    `policy: ${join(dir, 'policy.yaml')}`,
    `secrets: ${join(dir, 'secrets.yaml')}`,
    `audit:\n  store: sqlite\n  path: ${join(dir, `${name}-audit.db`)}\n  synchronous: normal`,
    ...(hashKeyFile ? [`masking:\n  hashKeyFile: ${hashKeyFile}`] : []),
  ];
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `${lines.join('\n')}\n`);
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const service = new Service(name, process.execPath, [...profile, main, 'serve', '--config', config]);
  try {
    await service.waitFor(/parapet: ready/, 60_000);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { name, port, service };
}

/** Runs the query, reading the reply without decoding it; fails on an error reply. */
async function readAll(client: RawClient): Promise<number> {
  const reply = await client.countReply(QUERY);
  if (reply.error) throw new Error(`the bench query failed through the proxy (${reply.error})`);
  return reply.bytes;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(proxy: Proxy, conn: RawClient): Promise<Sample> {
  const pid = proxy.service.child.pid;
  const before = cpuTime(pid);
  const started = process.hrtime.bigint();
  for (let i = 0; i < QUERIES_PER_SAMPLE; i++) await readAll(conn);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6 / QUERIES_PER_SAMPLE;
  const after = cpuTime(pid);
  return { wallMs, cpuMs: before && after ? ((after.total - before.total) * 1000) / QUERIES_PER_SAMPLE : NaN };
}

export async function runMaskingProxyBench(): Promise<void> {
  if (!(await postgresReachable())) {
    console.log(`PostgreSQL at ${PG_HOST}:${PG_PORT} is unreachable: skipped`);
    return;
  }
  const rounds = Number(process.env.MASKING_BENCH_ROUNDS ?? 7);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('MASKING_BENCH_ROUNDS must be a positive whole number');
  const reference = process.env.MASKING_BENCH_REFERENCE;
  const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-masking-'));
  const upstream = await createUpstream('parapet_bench_mask_proxy');
  const proxies: Proxy[] = [];
  const connections: RawClient[] = [];
  try {
    const owner = await connectUpstream({ host: PG_HOST, port: PG_PORT, user: upstream.role, password: upstream.password, database: upstream.database });
    await simpleQuery(owner, `CREATE TABLE people (id int PRIMARY KEY, name text, email text, ssn text);
      INSERT INTO people SELECT g, 'name ' || g, 'user' || g || '@example.com', lpad(g::text, 9, '0') FROM generate_series(1, ${ROWS}) g;
      ANALYZE people`);
    owner.close();
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    writeFileSync(join(dir, 'secrets.yaml'), `actors:\n${ACTORS.map((a) => `  '${a}': { plaintext: ${PASSWORD} }`).join('\n')}\n`);
    writeFileSync(join(dir, 'mask.key'), randomBytes(32));
    proxies.push(await startProxy('parapet', join(repoRoot(), 'dist', 'src', 'cli', 'main.js'), dir, upstream, join(dir, 'mask.key'), process.env.MASKING_BENCH_PROFILE));
    if (reference) proxies.push(await startProxy('reference', reference, dir, upstream, undefined));

    // One session per proxy and actor, warmed up by two untimed runs.
    const sessions = new Map<string, RawClient>();
    for (const proxy of proxies) {
      for (const actor of ACTORS) {
        const { client: conn, messages } = await RawClient.login({ port: proxy.port, user: actor, password: PASSWORD, database: upstream.database });
        if (messages.at(-1)?.type !== 'ReadyForQuery') throw new Error(`${actor} cannot log in to ${proxy.name}: ${JSON.stringify(messages.at(-1))}`);
        connections.push(conn);
        sessions.set(`${proxy.name}/${actor}`, conn);
        await readAll(conn);
        await readAll(conn);
      }
    }
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < rounds; round++) {
      for (const proxy of proxies) {
        // Rotated, so no actor always runs first or last.
        const order = ACTORS.map((_, i) => ACTORS[(i + round) % ACTORS.length]!);
        for (const actor of order) {
          const key = `${proxy.name}/${actor}`;
          samples.set(key, [...(samples.get(key) ?? []), await measure(proxy, sessions.get(key)!)]);
        }
      }
    }
    report(proxies, samples, rounds);
  } finally {
    for (const conn of connections) conn.close();
    for (const proxy of proxies) await proxy.service.stop();
    await upstream.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(proxies: Proxy[], samples: Map<string, Sample[]>, rounds: number): void {
  const stat = (proxy: Proxy, actor: Actor, what: keyof Sample) => median(samples.get(`${proxy.name}/${actor}`)!.map((s) => s[what]));
  const rows: Cell[][] = [];
  for (const proxy of proxies) {
    const plainWall = stat(proxy, 'plain', 'wallMs');
    const plainCpu = stat(proxy, 'plain', 'cpuMs');
    rows.push([proxy.name, 'none', micros(plainWall), '', micros(plainCpu), '']);
    for (const style of STYLES) {
      const wall = stat(proxy, style, 'wallMs');
      const cpu = stat(proxy, style, 'cpuMs');
      rows.push([proxy.name, style, micros(wall), `${(wall / plainWall).toFixed(2)}×`, micros(cpu), `${(cpu / plainCpu).toFixed(2)}×`]);
    }
  }
  console.log(`${ROWS.toLocaleString('en')} rows × 4 columns through \`parapet serve\`, email and ssn masked by origin; median of ${rounds} rounds of ${QUERIES_PER_SAMPLE} queries, per query:\n`);
  console.log(table(['build', 'mask style', 'wall ms', 'wall vs unmasked', 'proxy CPU ms', 'CPU vs unmasked'], rows));
}

export const maskingProxySection: BenchSection = {
  name: 'masking-proxy',
  summary: 'masking overhead through the proxy process, per style (100k rows, wall and proxy CPU)',
  run: runMaskingProxyBench,
};
