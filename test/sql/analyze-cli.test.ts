/**
 * `parapet analyze`: output formats, exit codes, unreadable and non-UTF-8 files, and a run over every
 * corpus file that must not crash.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runAnalyze, type AnalyzeIO } from '../../src/cli/commands/analyze.js';
import { corpusFiles } from '../support/corpus.js';

function io(stdin = ''): AnalyzeIO & { out: string; err: string } {
  const sink = {
    out: '',
    err: '',
    stdout(t: string) {
      sink.out += t;
    },
    stderr(t: string) {
      sink.err += t;
    },
    readStdin: async () => Buffer.from(stdin, 'utf8'),
  };
  return sink;
}

function lines(out: string): Record<string, any>[] {
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

describe('parapet analyze', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-analyze-'));
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  test('--json: one object per statement with its own text', async () => {
    const sink = io('SELECT 1; DELETE FROM users WHERE 1=1 /*ticket=\'T-1\'*/');
    assert.equal(await runAnalyze({ json: true, files: [] }, sink), 0);
    const out = lines(sink.out);
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((o) => [o.index, o.sql, o.kind, o.readOnly]), [
      [0, 'SELECT 1', 'select', true],
      [1, "DELETE FROM users WHERE 1=1 /*ticket='T-1'*/", 'delete', false],
    ]);
    assert.equal(out[1]!.effects[0].where, 'tautology');
    assert.deepEqual(out[1]!.tags, { ticket: 'T-1' });
    assert.match(out[0]!.fingerprint, /^[0-9a-f]+$/);
    assert.equal(out[0]!.file, undefined);
  });

  test('a statement that does not parse is reported on its own, exit 1', async () => {
    const sink = io();
    const code = await runAnalyze({ json: true, files: [file('mixed.sql', 'SELECT 1;\nSELEC 2;\nDROP TABLE t;\n')] }, sink);
    assert.equal(code, 1);
    const out = lines(sink.out);
    assert.deepEqual(out.map((o) => o.kind), ['select', 'unknown', 'drop']);
    assert.equal(out[1]!.error.code, '42601');
    assert.equal(out[1]!.line, 2);
    assert.equal(out[2]!.line, 3);
  });

  test('several files: each line names its file', async () => {
    const sink = io();
    const a = file('a.sql', 'SELECT 1');
    const b = file('b.sql', 'UPDATE t SET x = 1');
    assert.equal(await runAnalyze({ json: true, files: [a, b] }, sink), 0);
    assert.deepEqual(lines(sink.out).map((o) => [o.file, o.kind]), [[a, 'select'], [b, 'update']]);
  });

  test('an unreadable file is a usage error naming it', async () => {
    const sink = io();
    assert.equal(await runAnalyze({ json: false, files: [join(dir, 'missing.sql')] }, sink), 2);
    assert.match(sink.err, /missing\.sql/);
    assert.equal(sink.out, '');
  });

  test('a file that is not UTF-8 is an encoding error', async () => {
    const sink = io();
    const bad = file('latin1.sql', Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27]));
    assert.equal(await runAnalyze({ json: true, files: [bad] }, sink), 1);
    assert.equal(lines(sink.out)[0]!.error.code, '22021');
  });

  test('the readable summary lists effects', async () => {
    const sink = io("COPY users TO '/tmp/x'; SET ROLE admin");
    assert.equal(await runAnalyze({ json: false, files: [] }, sink), 0);
    assert.match(sink.out, /external file write \/tmp\/x/);
    assert.match(sink.out, /privilege set-role admin/);
  });

  test('the command line: exit codes and --help', () => {
    // Compiled tests run from dist/, where the entry point is main.js; from source, tsx runs main.ts.
    const compiled = import.meta.url.endsWith('.js');
    const main = fileURLToPath(new URL(`../../src/cli/main.${compiled ? 'js' : 'ts'}`, import.meta.url));
    const loader = compiled ? [] : ['--import', 'tsx'];
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [...loader, main, 'analyze', ...args], { input, encoding: 'utf8' });
    assert.equal(run(['--json'], 'SELECT 1').status, 0);
    assert.equal(run([], 'SELEC 1').status, 1);
    assert.equal(run([join(dir, 'nope.sql')]).status, 2);
    assert.equal(run(['--bogus']).status, 2);
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--json/);
  });

  test('--json runs over every corpus file without crashing', async (t) => {
    const files = corpusFiles();
    if (files.length === 0) return t.skip('corpus not found');
    const sink = io();
    const code = await runAnalyze({ json: true, files: files.map((f) => f.path) }, sink);
    assert.ok(code === 0 || code === 1);
    const out = lines(sink.out);
    assert.ok(out.length > 40_000, `${out.length} statements`);
    assert.ok(out.every((o) => typeof o.kind === 'string' && 'readOnly' in o && Array.isArray(o.effects)));
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});
