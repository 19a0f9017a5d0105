/**
 * `parapet check` and `parapet policy validate|test` end to end: the real CLI in a child process
 * (exit codes, JSON and SARIF shapes, located errors), plus fail-closed through the exit code.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCheck, type CheckIO } from '../../src/cli/commands/check.js';
import { builtinRules } from '../../src/policy/rules/index.js';
import { testThrows } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(`${join('dist', 'test')}`);
const root = compiled ? join(here, '..', '..', '..') : join(here, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'parapet-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function parapet(...args: string[]): { code: number; stdout: string; stderr: string } {
  const command = compiled ? [join(root, 'dist', 'src', 'cli', 'main.js')] : ['--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts')];
  const result = spawnSync(process.execPath, [...command, ...args], { cwd: work, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

const policyFile = file(
  'policy.yaml',
  `defaults: { agent: allow }
actors:
  alice: { kind: human }
  bot: { kind: agent }
rules:
  - rule: no-drop
    kinds: [agent]
  - rule: require-where
  - id: by-model
    when: actor.attributes.model == "x" && statement.kind == "delete"
tests:
  - name: agents may not drop
    actor: bot
    sql: DROP TABLE t
    expect: deny
    rules: [no-drop]
  - name: people may
    actor: alice
    sql: DROP TABLE t
    expect: allow
`,
);

test('check: allowed statements exit 0 and print the JSON shape', () => {
  const { code, stdout } = parapet('check', '--json', '--sql', 'SELECT 1');
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(report.decision, 'allow');
  assert.deepEqual(Object.keys(report.statements[0]).sort(), ['decision', 'index', 'line', 'message', 'rules', 'sql'].sort());
  assert.equal(report.statements[0].sql, 'SELECT 1');
});

test('check: without --actor the default policy decides as the most restricted actor; a denial exits 1', () => {
  const { code, stdout } = parapet('check', '--json', '--sql', 'SELECT 1; DROP TABLE users');
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.equal(report.decision, 'deny');
  assert.deepEqual(report.statements.map((s: { decision: string }) => s.decision), ['allow', 'deny']);
  assert.deepEqual(report.statements[1].rules, ['no-drop', 'read-only']);
  assert.equal(typeof report.statements[1].hint, 'string');
});

test('check: --actor picks the policy actor', () => {
  assert.equal(parapet('check', '--policy', policyFile, '--actor', 'alice', '--sql', 'DROP TABLE t').code, 0);
  assert.equal(parapet('check', '--policy', policyFile, '--actor', 'bot', '--sql', 'DROP TABLE t').code, 1);
});

test('check: a review exits 1 as well', () => {
  const review = file('review.yaml', 'rules:\n  - id: r\n    when: statement.kind == "select"\n    action: review\n');
  const { code, stdout } = parapet('check', '--policy', review, '--json', '--sql', 'SELECT 1');
  assert.equal(code, 1);
  assert.equal(JSON.parse(stdout).decision, 'review');
});

test('check: SARIF gives file and line per statement', () => {
  const migration = file('001.sql', '-- migration\nCREATE TABLE a (id int);\n\n  DROP TABLE b;\nDELETE FROM c;\n');
  const policy = file('sarif-policy.yaml', 'defaults: { agent: allow, pipeline: allow }\nrules:\n  - rule: no-drop\n  - rule: require-where\n');
  const { code, stdout } = parapet('check', '--policy', policy, '--format', 'sarif', migration);
  assert.equal(code, 1);
  const sarif = JSON.parse(stdout);
  assert.equal(sarif.version, '2.1.0');
  const results = sarif.runs[0].results as { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[] }[];
  assert.deepEqual(
    results.map((r) => [r.ruleId, r.level, r.locations[0]!.physicalLocation.artifactLocation.uri, r.locations[0]!.physicalLocation.region.startLine, r.locations[0]!.physicalLocation.region.startColumn]),
    [
      ['no-drop', 'error', '001.sql', 4, 3],
      ['require-where', 'error', '001.sql', 5, 1],
    ],
  );
  const ruleIds = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
  assert.deepEqual(ruleIds, ['no-drop', 'require-where']);
});

test('check: a parse error is denied and located', () => {
  const broken = file('broken.sql', 'SELECT 1;\nSELEC 2;\n');
  const { code, stdout } = parapet('check', '--json', broken);
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.equal(report.decision, 'deny');
  assert.ok(report.statements.some((s: { rules: string[]; line: number }) => s.rules.includes('analysis-error') && s.line === 2));
});

test('check: fail closed — a condition that cannot be evaluated denies and exits 1', () => {
  const { code, stdout } = parapet('check', '--policy', policyFile, '--actor', 'alice', '--json', '--sql', 'DELETE FROM t WHERE id = 1');
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.equal(report.decision, 'deny');
  assert.deepEqual(report.statements[0].rules, ['by-model']);
  assert.equal(report.statements[0].errors.length, 1);
});

test('check: fail closed — a rule that throws denies and the exit code is 1', async () => {
  const throwing = file('throwing.yaml', 'defaults: { agent: allow }\nrules:\n  - rule: test-throws\n');
  let stdout = '';
  const io: CheckIO = { stdout: (t) => void (stdout += t), stderr: () => {}, readStdin: async () => '' };
  const code = await runCheck({ policy: throwing, format: 'json', sql: 'SELECT 1', files: [] }, io, [...builtinRules, testThrows]);
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.equal(report.decision, 'deny');
  assert.deepEqual(report.statements[0].rules, ['test-throws']);
  assert.match(report.statements[0].errors[0], /boom/);
});

test('check: usage and policy errors exit 2', () => {
  assert.equal(parapet('check').code, 2, 'nothing to check');
  assert.equal(parapet('check', '--json', '--format', 'sarif', '--sql', 'SELECT 1').code, 2);
  assert.equal(parapet('check', '--format', 'xml', '--sql', 'SELECT 1').code, 2);
  assert.equal(parapet('check', '--policy', policyFile, '--actor', 'mallory', '--sql', 'SELECT 1').code, 2);
  assert.equal(parapet('check', '--policy', join(work, 'missing.yaml'), '--sql', 'SELECT 1').code, 2);
  const bad = file('bad.yaml', 'rules:\n  - rule: no-dorp\n');
  const result = parapet('check', '--policy', bad, '--sql', 'SELECT 1');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /bad\.yaml:2:11: error: unknown rule `no-dorp`/);
});

test('policy validate: exit 0 for a valid file, 2 with file:line:col for each error', () => {
  const ok = parapet('policy', 'validate', policyFile);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /valid \(2 actors, 3 rules, 2 tests\)/);
  const bad = file('invalid.yaml', 'actors:\n  bob: { kind: robot }\nrules:\n  - id: c\n    when: statement.knd == "x"\n');
  const result = parapet('policy', 'validate', bad);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /invalid\.yaml:2:16: error: .*`robot`/);
  const second = parapet('policy', 'validate', file('invalid2.yaml', 'rules:\n  - id: c\n    when: statement.knd == "x"\n'));
  assert.match(second.stderr, /invalid2\.yaml:3:21: error: ill-typed CEL condition/);
});

test('policy test: exit 0 when every case passes, 1 with a report of each failure, 2 when invalid', () => {
  const passing = parapet('policy', 'test', policyFile);
  assert.equal(passing.code, 0, passing.stdout + passing.stderr);
  assert.match(passing.stdout, /2 passed, 0 failed/);

  const failing = file('failing.yaml', `rules:\n  - rule: no-truncate\ntests:\n  - name: expects the wrong thing\n    sql: TRUNCATE t\n    expect: allow\n  - sql: SELECT 1\n    expect: deny\n    rules: [no-truncate]\n`);
  const result = parapet('policy', 'test', failing);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /FAIL failing\.yaml:4:5 expects the wrong thing/);
  assert.match(result.stdout, /expected `allow`, got `deny`/);
  assert.match(result.stdout, /expected rules \[no-truncate\], got \[default\]/);
  assert.match(result.stdout, /0 passed, 2 failed/);

  assert.equal(parapet('policy', 'test', file('broken.yaml', 'rules: [')).code, 2);
});

test('the shipped default policy validates', () => {
  assert.equal(parapet('policy', 'validate', join(root, 'policies', 'default.yaml')).code, 0);
});
