#!/usr/bin/env node
/** The `parapet` command line: one sub-command per module in ./commands. */
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
