/** `parapet audit …`: the command bodies with captured output, and the real CLI for exit codes. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCheckpoint, runExport, runPrune, runSearch, runTail, runVerify, type CommandIO } from '../../src/audit/commands.js';
import { openAudit, type AuditConfig } from '../../src/audit/index.js';
import { locateStore } from '../../src/audit/locate.js';
import { parseWhen } from '../../src/audit/when.js';
import { decision } from './contract.js';

let dir: string;
let config: AuditConfig;

function capture(): CommandIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parapet-audit-cli-'));
  config = { store: 'sqlite', path: join(dir, 'audit.db'), redact: 'none' };
  const trail = await openAudit(config, 'cli-test');
  for (let n = 1; n <= 8; n++) {
    const { time: _t, instance: _i, redaction: _r, ...input } = decision(n, {
      statement: n === 8 ? "update orders set email = 'vip@example.com' where id = 8" : decision(n).statement,
      ...(n === 8 ? { tags: { reason: 'fix', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } } : {}),
    });
    const { seq } = await trail.record(input);
    if (n % 4 !== 0) await trail.record({ kind: 'outcome', session: input.session, decision: seq, commandTag: 'DELETE 1', rows: 1, durationMs: 1 });
  }
  await trail.record({ kind: 'session', event: 'auth-failure', session: 'x', door: 'proxy', user: 'mallory', clientAddress: '10.9.9.9' });
  await trail.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('tail prints the latest records oldest first, readable or JSON', async () => {
  const io = capture();
  assert.equal(await runTail(config, { lines: 3, follow: false, json: true }, io), 0);
  const records = io.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 3);
  assert.ok(records[0].seq < records[2].seq);
  assert.equal(records[2].kind, 'session');
  const text = capture();
  await runTail(config, { lines: 20, follow: false, json: false }, text);
  assert.ok(text.out.includes('DENY') && text.out.includes('auth-failure') && text.out.includes('genesis'));
});

test('tail --follow prints records appended later, until aborted', async () => {
  const controller = new AbortController();
  const io = { ...capture(), signal: controller.signal };
  const lines: string[] = [];
  io.stdout = (t: string) => void lines.push(...t.trim().split('\n'));
  const following = runTail(config, { lines: 1, follow: true, json: true, pollMs: 20 }, io);
  const trail = await openAudit(config, 'follower');
  const { seq } = await trail.record({ kind: 'transaction', session: 's1', end: 'commit' });
  await trail.close();
  while (!lines.some((l) => JSON.parse(l).seq === seq)) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  assert.equal(await following, 0);
});

test('search filters combine; the JSON holds the records', async () => {
  const io = capture();
  await runSearch(config, { decision: 'deny', table: 'orders' }, { json: true, limit: 100 }, io);
  const found = io.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(found.map((r) => r.action), ['deny', 'deny']);
  const limited = capture();
  await runSearch(config, { kind: 'outcome' }, { json: false, limit: 2 }, limited);
  assert.equal(limited.out.trim().split('\n').length, 2);
  assert.ok(limited.err.includes('--limit'));
});

test('verify: ok, then exit 1 naming the first bad record; checkpoint catches truncation', async () => {
  const ok = capture();
  assert.equal(await runVerify(config, { json: false }, ok), 0);
  assert.ok(ok.out.startsWith('ok: '));
  const cpFile = join(dir, 'cp.json');
  assert.equal(await runCheckpoint(config, { out: cpFile }, capture()), 0);
  const checkpoint = JSON.parse(readFileSync(cpFile, 'utf8'));

  const copy = join(dir, 'copy.db');
  const db = new Database(config.store === 'sqlite' ? config.path : '');
  await db.backup(copy);
  db.close();
  const tampered = new Database(copy);
  tampered.prepare('delete from audit_record where seq >= ?').run(checkpoint.seq - 1);
  tampered.close();
  const truncated = capture();
  assert.equal(await runVerify({ store: 'sqlite', path: copy }, { checkpoint: cpFile, json: true }, truncated), 1);
  const report = JSON.parse(truncated.out);
  assert.deepEqual([report.failure.problem, report.failure.seq], ['truncated', checkpoint.seq - 1]);

  const edited = new Database(copy);
  edited.prepare("update audit_record set body = replace(body, 'ticket-', 'ticket-X') where seq = 4").run();
  edited.close();
  const bad = capture();
  assert.equal(await runVerify({ store: 'sqlite', path: copy }, { json: false }, bad), 1);
  assert.ok(bad.out.startsWith('FAILED at record 4: edited'));
});

test('verify of a keyed chain without the key is a usage error (exit 2)', async () => {
  const keyed: AuditConfig = { store: 'sqlite', path: join(dir, 'keyed.db'), hmacKey: 'secret-key' };
  const trail = await openAudit(keyed, 'k');
  await trail.record({ kind: 'transaction', session: 's', end: 'commit' });
  await trail.close();
  assert.equal(await runVerify(keyed, { json: false }, capture()), 0);
  const io = capture();
  assert.equal(await runVerify({ store: 'sqlite', path: keyed.path }, { json: false }, io), 2);
  assert.ok(io.err.includes('PARAPET_AUDIT_KEY'));
});

test('export: jsonl re-redacts literals by default; cef escapes; otel carries trace ids', async () => {
  const jsonl = capture();
  assert.equal(await runExport(config, { format: 'jsonl', redact: 'literals' }, jsonl), 0);
  assert.ok(!jsonl.out.includes('vip@example.com'));
  const raw = capture();
  await runExport(config, { format: 'jsonl', redact: 'none' }, raw);
  assert.ok(raw.out.includes('vip@example.com'));

  const cef = capture();
  await runExport(config, { format: 'cef', redact: 'literals' }, cef);
  const lines = cef.out.trim().split('\n');
  assert.ok(lines.every((l) => l.startsWith('CEF:0|Parapet|Parapet|')));
  const deny = lines.find((l) => l.includes('|decision-deny|'))!;
  assert.ok(deny.includes('suser=agent-7') && deny.includes('act=deny') && deny.includes('cs1=no-bulk-delete,protect-orders'));
  assert.ok(deny.includes('id \\= $1'));

  const otel = capture();
  await runExport(config, { format: 'otel', redact: 'literals' }, otel);
  const request = JSON.parse(otel.out.trim().split('\n')[0]!);
  const logs = request.resourceLogs[0].scopeLogs[0].logRecords;
  const traced = logs.find((l: { traceId?: string }) => l.traceId);
  assert.equal(traced.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(traced.spanId, 'b7ad6b7169203331');
  assert.ok(logs.some((l: { severityText: string }) => l.severityText === 'WARN'));

  const file = join(dir, 'export.jsonl');
  const since = capture();
  await runExport(config, { format: 'jsonl', redact: 'literals', out: file, since: '2000-01-01T00:00:00.000Z' }, since);
  assert.ok(readFileSync(file, 'utf8').trim().split('\n').length > 10);
});

test('prune: removes old records, prints what it did, and the rest verifies', async () => {
  const copy: AuditConfig = { store: 'sqlite', path: join(dir, 'prune.db') };
  const db = new Database(config.store === 'sqlite' ? config.path : '');
  await db.backup(copy.path);
  db.close();
  const cp = join(dir, 'after-prune.json');
  const io = capture();
  const { at } = await import('./contract.js');
  assert.equal(await runPrune(copy, { before: at(5), checkpointOut: cp, instance: 'cli' }, io), 0);
  assert.ok(io.out.startsWith('pruned '), io.out + io.err);
  assert.equal(await runVerify(copy, { checkpoint: cp, json: false }, capture()), 0);
  const again = capture();
  assert.equal(await runPrune(copy, { before: at(5), instance: 'cli' }, again), 0);
  assert.ok(again.out.startsWith('nothing pruned'));
});

test('locate: flag, then PARAPET_AUDIT, then the config file, then the default path', () => {
  const cwd = dir;
  assert.deepEqual(locateStore({ audit: 'x.db', cwd, env: {} }), { store: 'sqlite', path: join(dir, 'x.db') });
  assert.deepEqual(locateStore({ audit: 'postgres://h/db', cwd, env: { PARAPET_AUDIT_KEY: 'k' } }), { store: 'postgres', url: 'postgres://h/db', hmacKey: 'k' });
  assert.deepEqual(locateStore({ cwd, env: { PARAPET_AUDIT: 'y.db' } }), { store: 'sqlite', path: join(dir, 'y.db') });
  const file = join(dir, 'parapet-test.yaml');
  writeFileSync(file, 'audit:\n  path: trail/audit.db\n  redact: none\n');
  const fromFile = locateStore({ config: file, cwd, env: {} });
  assert.deepEqual([fromFile.store, fromFile.store === 'sqlite' && fromFile.path, fromFile.redact], ['sqlite', join(dir, 'trail/audit.db'), 'none']);
  const fallback = locateStore({ cwd: join(dir, 'nowhere'), env: {} });
  assert.equal(fallback.store === 'sqlite' && fallback.path, join(dir, 'nowhere', '.parapet/audit.db'));
});

test('time arguments: ISO dates and ages', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');
  assert.equal(parseWhen('2d', now), '2026-03-08T12:00:00.000Z');
  assert.equal(parseWhen('90m', now), '2026-03-10T10:30:00.000Z');
  assert.equal(parseWhen('2026-03-01', now), '2026-03-01T00:00:00.000Z');
  assert.throws(() => parseWhen('yesterday', now));
});

test('the real CLI: exit 0 on a good chain, 1 on a bad one, 2 on a missing store', () => {
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../../src/cli/main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const cli = (...args: string[]) => spawnSync(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), main, ...args], { encoding: 'utf8', env: { ...process.env, PARAPET_AUDIT: '' } });
  const good = cli('audit', 'verify', '--audit', config.store === 'sqlite' ? config.path : '');
  assert.equal(good.status, 0, good.stderr);
  const bad = cli('audit', 'verify', '--audit', join(dir, 'copy.db'));
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^FAILED at record \d+: /);
  const missing = cli('audit', 'tail', '--audit', join(dir, 'missing.db'));
  assert.equal(missing.status, 2);
});
