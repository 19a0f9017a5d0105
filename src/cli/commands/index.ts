/**
 * Every `parapet` sub-command, one module each. A module exports `register(program)`; add a line
 * here to add a command.
 */
import type { Command } from 'commander';
import { register as analyze } from './analyze.js';
import { register as audit } from './audit.js';
import { register as check } from './check.js';
import { register as lineage } from './lineage.js';
import { register as mcp } from './mcp.js';
import { register as policy } from './policy.js';
import { register as serve } from './serve.js';
import { register as verifier } from './verifier.js';

type Register = (program: Command) => void;

export const commands: Register[] = [analyze, audit, check, lineage, mcp, policy, serve, verifier];
