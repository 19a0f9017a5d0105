#!/usr/bin/env node
/** The `parapet` command line: one sub-command per module in ./commands. */
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command('parapet')
  .description('access guardrails for PostgreSQL')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander exits 1 on usage errors; Parapet reserves 1 for "denied / did not parse".
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });

for (const register of commands) register(program);

await program.parseAsync(process.argv);
