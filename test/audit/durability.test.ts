/**
 * The audit durability proof (issue 7, item 7). Several clients insert rows with unique ids through
 * `parapet serve` — simple queries (one and two statements a message), extended-protocol queries
 * (unnamed and a reused named statement) and a pipelining driver — while the test kills Parapet with
 * SIGKILL at seeded points mid-load and restarts it on the same audit file. The upstream is a
 * cluster of the test's own with `log_statement = all`: every id the upstream was asked to execute
 * through a client session (Parapet's own sessions are told apart by their application_name) must
 * have a decision record, and `parapet audit verify` must pass.
 *
 * The kill points come from PARAPET_DURABILITY_SEED (printed with the counts); rerun with it to
 * reproduce a failure.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import type { AuditRecord } from '../../src/audit/record.js';
import { runParapet, spawnServe, type ServeChild } from '../support/child-serve.js';
import { canStartCluster, startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';
import { waitFor } from '../support/wait.js';

const SEED = Number(process.env.PARAPET_DURABILITY_SEED ?? 7007);
/** Plain pg clients; one more client pipelines through the porsager driver. */
const PG_CLIENTS = 5;
/** Porsager queries kept in flight at once on its one connection. */
const PIPELINE_DEPTH = 8;
/** Statements acknowledged in a run before the kill: between these, drawn from the seed. */
const KILL_AFTER = { min: 200, max: 800 };
/**
 * One entry per start of `parapet serve` on the same audit file: every start but the last is killed.
 * The SQLite store commits on the proxy's thread with `normal` and on its writer thread (an fsync
 * each) with `full`; alternating covers both write paths, and `full`'s slower commit widens the
 * window in which a proxy that forwarded before its decision was durable would be caught.
 */
const SYNCHRONOUS = ['full', 'normal', 'full', 'normal'] as const;
type Synchronous = (typeof SYNCHRONOUS)[number];
/** Statements each pg client sends in the last run, which ends with SIGTERM. */
const LAST_RUN_STATEMENTS = 10;

const UPSTREAM_ROLE = 'parapet_app';
const ACTOR = 'loader';
const PASSWORD = 'loader-pw';
const CLIENT_PREFIX = 'durability-';
/** Parapet names its own upstream sessions `parapet role check`, `parapet readiness check`, `parapet catalog`. */
const PARAPET_OWN = /^parapet /;
const LOG_PREFIX = '%m [%p] <%u> <%a> ';
const LOG_LINE = /^\S+ \S+ \S+ \[(\d+)\] <([^>]*)> <([^>]*)> (.*)$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

const POLICY = `
version: 1
environment: test
defaults: { pipeline: deny }
actors:
  ${ACTOR}: { kind: pipeline }
rules:
  - id: loader-inserts
    kinds: [pipeline]
    when: statement.kind == "insert"
    action: allow
`;

/** mulberry32: a small seeded generator, so the kill points repeat for a seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the clients did, across all runs. */
interface Tally {
  sent: Set<string>;
  acknowledged: Set<string>;
  inFlight: number;
}

/** One run of load against one Parapet process: stops at `killAfter` acknowledgements (SIGKILL) or after `statements` each. */
interface Run {
  proxy: ServeChild;
  url: string;
  tally: Tally;
  random: () => number;
  /** SIGKILL once this many statements of the run are acknowledged. */
  killAfter?: number;
  /** Without a kill: statements per client. */
  statements?: number;
}

interface RunResult {
  acknowledged: number;
  /** Statements sent and not yet answered when the kill was sent. */
  inFlightAtKill?: number;
}

async function runLoad(run: Run): Promise<RunResult> {
  const result: RunResult = { acknowledged: 0 };
  let killed = false;
  const acknowledge = (ids: string[]) => {
    for (const id of ids) run.tally.acknowledged.add(id);
    result.acknowledged += ids.length;
    if (run.killAfter !== undefined && !killed && result.acknowledged >= run.killAfter) {
      killed = true;
      result.inFlightAtKill = run.tally.inFlight;
      run.proxy.kill('SIGKILL');
    }
  };
  const send = async (ids: string[], query: () => Promise<unknown>): Promise<boolean> => {
    for (const id of ids) run.tally.sent.add(id);
    run.tally.inFlight += ids.length;
    try {
      await query();
    } catch (error) {
      if (!killed) throw error; // before the kill every statement must succeed
      return false;
    } finally {
      run.tally.inFlight -= ids.length;
    }
    acknowledge(ids);
    return true;
  };

  const pgWorker = async (client: pg.Client) => {
    try {
      for (let i = 0; run.statements === undefined ? !killed : i < run.statements; i++) {
        const shape = Math.floor(run.random() * 4);
        const a = randomUUID();
        const b = randomUUID();
        const ok =
          shape === 0
            ? await send([a], () => client.query(`INSERT INTO events VALUES ('${a}')`))
            : shape === 1
              ? await send([a, b], () => client.query(`INSERT INTO events VALUES ('${a}'); INSERT INTO events VALUES ('${b}')`))
              : shape === 2
                ? await send([a], () => client.query('INSERT INTO events VALUES ($1)', [a]))
                : await send([a], () => client.query({ name: 'insert-event', text: 'INSERT INTO events VALUES ($1)', values: [a] }));
        if (!ok) return;
      }
    } finally {
      await client.end().catch(() => {});
    }
  };

  const pipelineWorker = async () => {
    const sql = postgres(run.url, { max: 1, fetch_types: false, onnotice: () => {}, connection: { application_name: `${CLIENT_PREFIX}pipeline` } });
    try {
      for (let i = 0; run.statements === undefined ? !killed : i < run.statements; i += PIPELINE_DEPTH) {
        const batch = Array.from({ length: PIPELINE_DEPTH }, () => randomUUID());
        const results = await Promise.all(batch.map((id) => send([id], () => sql`INSERT INTO events VALUES (${id})`)));
        if (results.includes(false)) return;
      }
    } finally {
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  };

  // Every pg client is connected before the load starts, so none meets the kill while logging in.
  const clients = Array.from({ length: PG_CLIENTS }, (_, n) => {
    const client = new pg.Client({ connectionString: run.url, application_name: `${CLIENT_PREFIX}pg-${n}` });
    client.on('error', () => {}); // the kill: each query reports it
    return client;
  });
  await Promise.all(clients.map((c) => c.connect()));
  await Promise.all([...clients.map(pgWorker), pipelineWorker()]);
  return result;
}

/** One entry of the server log: a prefixed line and the lines that continue it. */
interface LogEntry {
  pid: number;
  user: string;
  applicationName: string;
  text: string;
}

function parseServerLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = LOG_LINE.exec(line);
    if (match) entries.push({ pid: Number(match[1]), user: match[2]!, applicationName: match[3]!, text: match[4]! });
    else if (entries.length > 0) entries.at(-1)!.text += `\n${line}`;
  }
  return entries;
}

/** Every id in a decision record: the statement text (kept with `redact: none`) and its bound parameters. */
function auditedIds(records: AuditRecord[]): Map<string, AuditRecord> {
  const ids = new Map<string, AuditRecord>();
  for (const record of records) {
    if (record.kind !== 'decision') continue;
    const text = [record.statement, ...(record.parameters ?? [])].join(' ');
    for (const id of text.match(UUID) ?? []) ids.set(id, record);
  }
  return ids;
}

async function adminQuery<T extends pg.QueryResultRow>(cluster: ThrowawayCluster, database: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: cluster.url(database), application_name: 'durability-admin' });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function needCluster(t: TestContext): boolean {
  if (canStartCluster()) return true;
  if (process.env.PARAPET_REQUIRE_POSTGRES) throw new Error('PostgreSQL server binaries are required (PARAPET_REQUIRE_POSTGRES) but initdb was not found');
  t.skip('PostgreSQL server binaries (initdb) not found');
  return false;
}

test('SIGKILL mid-load: every statement the upstream executed has a decision record, and the chain verifies after restarts', { timeout: 120_000 }, async (t) => {
  if (!needCluster(t)) return;
  const random = seeded(SEED);
  const cluster = await startThrowawayCluster({
    settings: { log_statement: 'all', log_line_prefix: LOG_PREFIX, logging_collector: 'off', log_destination: 'stderr' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'parapet-durability-'));
  const children: ServeChild[] = [];
  try {
    await adminQuery(cluster, 'postgres', `create role ${UPSTREAM_ROLE} login password 'app'`);
    await adminQuery(cluster, 'postgres', `create database app owner ${UPSTREAM_ROLE}`);
    await adminQuery(cluster, 'app', `create table events (id text primary key); alter table events owner to ${UPSTREAM_ROLE}`);

    const auditPath = join(dir, 'audit.db');
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    writeFileSync(join(dir, 'secrets.yaml'), `actors:\n  ${ACTOR}: { plaintext: ${PASSWORD} }\n`);
    const configFile = join(dir, 'parapet.yaml');
    const writeConfig = (synchronous: Synchronous) =>
      writeFileSync(
        configFile,
        [
          'listen: 127.0.0.1:0',
          `upstream: { url: "postgres://${UPSTREAM_ROLE}:app@127.0.0.1:${cluster.port}/app", connectTimeout: 5s }`,
          'policy: policy.yaml',
          'secrets: secrets.yaml',
          // Statement text and bound values kept, so records name the ids.
          `audit: { path: audit.db, redact: none, synchronous: ${synchronous} }`,
          'limits: { shutdownTimeout: 10s }',
          '',
        ].join('\n'),
      );

    const tally: Tally = { sent: new Set(), acknowledged: new Set(), inFlight: 0 };
    const runs: Array<RunResult & { pid: number; synchronous: Synchronous; killAfter?: number }> = [];
    for (const [index, synchronous] of SYNCHRONOUS.entries()) {
      writeConfig(synchronous);
      const proxy = await spawnServe({ configFile });
      children.push(proxy);
      const url = `postgres://${ACTOR}:${PASSWORD}@127.0.0.1:${proxy.port}/app`;
      if (index < SYNCHRONOUS.length - 1) {
        const killAfter = KILL_AFTER.min + Math.floor(random() * (KILL_AFTER.max - KILL_AFTER.min));
        const result = await runLoad({ proxy, url, tally, random, killAfter });
        assert.deepEqual(await proxy.exited, { code: null, signal: 'SIGKILL' }, `run ${index} ended before its kill point (${result.acknowledged} of ${killAfter} acknowledged):\n${proxy.log.join('\n')}`);
        assert.ok((result.inFlightAtKill ?? 0) > 0, 'statements were in flight when parapet was killed');
        runs.push({ ...result, pid: proxy.pid, synchronous, killAfter });
      } else {
        const result = await runLoad({ proxy, url, tally, random, statements: LAST_RUN_STATEMENTS });
        proxy.kill('SIGTERM');
        assert.deepEqual(await proxy.exited, { code: 0, signal: null }, proxy.log.join('\n'));
        runs.push({ ...result, pid: proxy.pid, synchronous });
      }
    }

    // Sessions of the killed processes end upstream once their sockets close; wait for their statements to finish.
    await waitFor(async () => (await adminQuery(cluster, 'postgres', `select 1 from pg_stat_activity where usename = '${UPSTREAM_ROLE}'`)).length === 0);

    const entries = parseServerLog(readFileSync(join(cluster.socketDir, 'server.log'), 'utf8'));
    const clientEntries = entries.filter((e) => e.user === UPSTREAM_ROLE && !PARAPET_OWN.test(e.applicationName));
    assert.deepEqual([...new Set(clientEntries.map((e) => e.applicationName).filter((name) => !name.startsWith(CLIENT_PREFIX)))], [], 'each upstream session of parapet is a client\'s or names itself `parapet …` from its startup packet on');
    assert.ok(entries.some((e) => PARAPET_OWN.test(e.applicationName)), 'parapet\'s own sessions are in the log, told apart by application_name');
    const executed = new Set(clientEntries.flatMap((e) => e.text.match(UUID) ?? []));
    const committed = new Set((await adminQuery<{ id: string }>(cluster, 'app', 'select id from events')).map((r) => r.id));

    const [exported, verified] = await Promise.all([
      runParapet(['audit', 'export', '--format', 'jsonl', '--redact', 'none', '--audit', auditPath]),
      runParapet(['audit', 'verify', '--audit', auditPath]),
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const records = exported.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
    const audited = auditedIds(records);

    const counts = {
      seed: SEED,
      runs: runs.map((r) => ({ synchronous: r.synchronous, killAfter: r.killAfter ?? 'SIGTERM', acknowledged: r.acknowledged, inFlightAtKill: r.inFlightAtKill })),
      sent: tally.sent.size,
      acknowledged: tally.acknowledged.size,
      executedUpstream: executed.size,
      committed: committed.size,
      audited: audited.size,
      decisionRecords: records.filter((r) => r.kind === 'decision').length,
      outcomeRecords: records.filter((r) => r.kind === 'outcome').length,
      records: records.length,
    };
    t.diagnostic(`durability: ${JSON.stringify(counts)}`);

    // The parse of the log is sound: it sees what the clients were told was done, and what was committed.
    assert.deepEqual([...tally.acknowledged].filter((id) => !committed.has(id)), [], 'acknowledged ids are committed');
    assert.deepEqual([...committed].filter((id) => !executed.has(id)), [], 'committed ids are in the upstream log');
    assert.deepEqual([...executed].filter((id) => !tally.sent.has(id)), [], 'the upstream log names only ids the clients sent');

    // The proof: nothing reached the upstream without a committed decision record.
    const unaudited = [...executed].filter((id) => !audited.has(id));
    const where = unaudited.slice(0, 10).map((id) => clientEntries.find((e) => e.text.includes(id))!).map((e) => `[${e.pid}] <${e.applicationName}> ${e.text}`);
    assert.deepEqual(unaudited, [], `${unaudited.length} statements executed upstream have no decision record, e.g.:\n${where.join('\n')}`);
    for (const id of executed) {
      const record = audited.get(id)!;
      assert.ok(record.kind === 'decision' && record.action === 'allow' && record.actor.name === ACTOR, `the record of ${id} allows it for ${ACTOR}`);
    }

    // One chain across the processes, and it verifies.
    const instances = new Set(records.map((r) => ('instance' in r ? r.instance : '')));
    for (const run of runs) assert.ok(instances.has(`${hostname()}:${run.pid}`), `records of process ${run.pid} are in the trail`);
    assert.equal(verified.code, 0, `parapet audit verify: ${verified.stdout}${verified.stderr}`);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
