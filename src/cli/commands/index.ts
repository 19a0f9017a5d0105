/**
 * Every `parapet` sub-command, one module each. A module exports `register(program)`; add a line
 * here to add a command.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const commands: Register[] = [];
