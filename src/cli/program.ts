/** The `parapet` command tree, built without running it (the reference generator walks it too). */
import { Command } from 'commander';
import { commands } from './commands/index.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('parapet')
    .description('access guardrails for PostgreSQL')
    .version(VERSION)
    .showHelpAfterError()
    // A fixed width keeps `--help` (and the README reference made from it) the same on every terminal.
    .configureHelp({ helpWidth: 100 })
    .exitOverride((err) => {
      // commander exits 1 on usage errors; Parapet reserves 1 for "denied / did not parse".
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(2);
    });
  for (const register of commands) register(program);
  return program;
}

/** Every command's `--help` text, depth first, as the README's command reference shows it. */
export function commandReference(program: Command = buildProgram()): string {
  const sections: string[] = [];
  const visit = (command: Command, path: string[]) => {
    const name = [...path, command.name()].join(' ');
    sections.push(`### \`${name}\`\n\n\`\`\`text\n${command.helpInformation({ error: false }).trimEnd()}\n\`\`\``);
    for (const sub of command.commands) if (sub.name() !== 'help') visit(sub, [...path, command.name()]);
  };
  for (const command of program.commands) if (command.name() !== 'help') visit(command, ['parapet']);
  return sections.join('\n\n');
}
