/** The README's command reference is the CLI's own `--help` for every command, kept in step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { commandReference } from '../../src/cli/program.js';
import { extractReference } from '../../scripts/cli-reference-markers.js';

test('README.md documents every command and option as `--help` prints them', () => {
  const readme = readFileSync('README.md', 'utf8');
  const documented = extractReference(readme);
  assert.ok(documented !== undefined, 'README.md lacks the cli-reference region');
  assert.equal(documented, commandReference().trim(), 'run `node --import tsx scripts/gen-cli-reference.ts`');
});

test('the reference covers nested commands and their options', () => {
  const reference = commandReference();
  for (const heading of ['### `parapet serve`', '### `parapet check`', '### `parapet policy validate`', '### `parapet audit verify`']) {
    assert.ok(reference.includes(heading), `missing ${heading}`);
  }
});
