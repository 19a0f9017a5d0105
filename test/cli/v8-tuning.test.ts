/** The V8 flags `parapet serve` sets for itself, and that the operator's own choice wins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { operatorFlags, serveV8Flags } from '../../src/cli/v8-tuning.js';

test('serve compiles the parser with Liftoff only when the operator chose nothing of that family', () => {
  assert.deepEqual(serveV8Flags([]), ['--liftoff-only']);
  assert.deepEqual(serveV8Flags(['--max-old-space-size=512', '--enable-source-maps']), ['--liftoff-only']);
});

test('a flag of the family given by the operator, in either spelling, is left to the operator', () => {
  for (const flag of ['--no-liftoff-only', '--liftoff-only', '--no-liftoff', '--liftoff', '--wasm-tier-up', '--no-wasm-dynamic-tiering', '--no_liftoff_only', '--liftoff_only']) {
    assert.deepEqual(serveV8Flags([flag]), [], flag);
  }
});

test('the operator flags are the command line and the NODE_OPTIONS flags', () => {
  assert.deepEqual(operatorFlags(['--no-liftoff'], ' --max-semi-space-size=4  --require x.js '), ['--no-liftoff', '--max-semi-space-size=4', '--require']);
  assert.deepEqual(operatorFlags([], ''), []);
});

test('a process sets the flags on its V8 unless its command line chose them', () => {
  const module = fileURLToPath(new URL('../../src/cli/v8-tuning.js', import.meta.url));
  const script = `const { tuneV8ForServe } = await import(${JSON.stringify(module)}); process.stdout.write(JSON.stringify(tuneV8ForServe()));`;
  const run = (...flags: string[]): unknown => JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
  assert.deepEqual(run(), ['--liftoff-only']);
  assert.deepEqual(run('--no-liftoff-only'), []);
});
