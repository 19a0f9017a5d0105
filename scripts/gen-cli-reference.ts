/**
 * Writes every command's `--help` into README.md between the cli-reference markers, so the README
 * documents every command and option exactly as the CLI has them. A test keeps the two in step.
 *
 *   node --import tsx scripts/gen-cli-reference.ts          # rewrite README.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { commandReference } from '../src/cli/program.js';
import { replaceReference } from './cli-reference-markers.js';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', replaceReference(readme, commandReference()));
console.log('README.md: command reference updated');
