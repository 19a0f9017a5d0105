/**
 * The command-line clients through the proxy: a psql script (simple protocol, \copy, a denied
 * statement with ON_ERROR_STOP=0) and short pgbench runs in every query mode.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPostgres, postgresReachable, PG_HOST, PG_PORT } from '../support/postgres.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { SECRETS, TEST_POLICY, adminRows } from './fixtures.js';

let db: TestUpstream;
let proxy: ProxyHarness;
let dir: string;

/** Runs a program without blocking the event loop (the proxy under test runs in this process). */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const proxyEnv = () => ({ PGHOST: '127.0.0.1', PGPORT: String(proxy.port), PGUSER: 'alice', PGPASSWORD: SECRETS.alice, PGDATABASE: db.database, PGSSLMODE: 'disable' });

describe('psql and pgbench through the proxy', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES }, () => {
  before(async () => {
    db = await createUpstream();
    dir = mkdtempSync(join(tmpdir(), 'parapet-psql-'));
    proxy = await startProxy({ upstreamUrl: db.url, policyYaml: TEST_POLICY, secrets: SECRETS });
  });
  after(async () => {
    await proxy?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a psql script runs, with its denied statements refused and the rest applied', async (t) => {
    if (!(await needPostgres(t))) return;
    const script = join(dir, 'script.sql');
    writeFileSync(
      script,
      [
        'CREATE TABLE notes (id int PRIMARY KEY, body text);',
        "INSERT INTO notes VALUES (1, 'one'), (2, 'two');",
        '\\copy notes FROM STDIN',
        '3\tthree',
        '4\tfour',
        '\\.',
        'DELETE FROM notes;',
        'DROP TABLE notes;',
        'BEGIN;',
        "UPDATE notes SET body = 'changed' WHERE id = 1;",
        'UPDATE notes SET body = NULL;',
        'COMMIT;',
        "SELECT string_agg(body, ',' ORDER BY id) AS bodies FROM notes;",
        '\\copy (SELECT id FROM notes ORDER BY id) TO STDOUT',
      ].join('\n'),
    );
    const result = await run('psql', ['-X', '-v', 'ON_ERROR_STOP=0', '-f', script], proxyEnv());
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /one,two,three,four/);
    assert.match(result.stdout, /^1\n2\n3\n4$/m);
    assert.match(result.stdout, /ROLLBACK/);
    const denials = result.stderr.split('\n').filter((line) => /ERROR:/.test(line));
    assert.equal(denials.length, 3, result.stderr);
    assert.match(result.stderr, /require-where/);
    assert.match(result.stderr, /no-drop/);
    assert.equal((await adminRows(db.adminUrl, 'select count(*)::int as n from notes'))[0]!.n, 4);
  });

  test('pgbench select-only and TPC-B-like, in simple, extended and prepared modes', async (t) => {
    if (!(await needPostgres(t))) return;
    const init = await run('pgbench', ['-i', '-s', '1', '-q', '-h', PG_HOST, '-p', String(PG_PORT), '-U', db.role, db.database]);
    assert.equal(init.status, 0, init.stderr);
    for (const mode of ['simple', 'extended', 'prepared']) {
      for (const workload of [['-S'], []]) {
        const result = await run('pgbench', ['-n', '-c', '2', '-t', '50', '-M', mode, ...workload], proxyEnv());
        assert.equal(result.status, 0, `${mode} ${workload.join(' ')}: ${result.stderr}`);
        assert.match(result.stdout, /number of failed transactions: 0|processed: 100\/100/, result.stdout);
        assert.match(result.stdout, /number of transactions actually processed: 100\/100/);
      }
    }
    const history = await adminRows<{ n: number }>(db.adminUrl, 'select count(*)::int as n from pgbench_history');
    assert.equal(history[0]!.n, 300);
  });
});
