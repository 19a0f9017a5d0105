/**
 * `parapet check`: decides each statement of SQL files (migrations in CI) or of `--sql` text, as an
 * actor of the policy — or, without `--actor`, as the anonymous actor of the most restricted kind.
 * Exit 0 when every statement is allowed, 1 when any is denied or held for review, 2 on usage or
 * policy errors.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { createGuard } from '../../guard/index.js';
import { formatIssue } from '../../policy/errors.js';
import type { RuleDefinition } from '../../policy/rule.js';
import { builtinRules } from '../../policy/rules/index.js';
import { jsonReport, overall, sarifReport, statementPosition, textReport, type CheckedStatement } from '../check-output.js';
import { displayName, readPolicyFile } from '../policy-files.js';

export interface CheckOptions {
  policy?: string;
  actor?: string;
  format: 'text' | 'json' | 'sarif';
  sql?: string;
  files: string[];
}

export interface CheckIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
}

/** Runs the check and returns the exit code. `rules` replaces the built-in registry (tests). */
export async function runCheck(options: CheckOptions, io: CheckIO, rules: readonly RuleDefinition<any>[] = builtinRules): Promise<number> {
  if (options.sql === undefined && options.files.length === 0) {
    io.stderr('error: nothing to check\n  hint: pass `--sql TEXT`, one or more SQL files, or `-` to read standard input\n');
    return 2;
  }
  const loaded = await readPolicyFile(options.policy, { rules });
  if (!loaded.ok) {
    io.stderr(loaded.issues.map(formatIssue).join('\n') + '\n');
    return 2;
  }
  for (const warning of loaded.warnings) io.stderr(formatIssue(warning) + '\n');
  const guard = createGuard({ policy: loaded.policy });
  const actor = options.actor !== undefined ? guard.actor(options.actor) : guard.anonymousActor();
  if (!actor) {
    const known = [...loaded.policy.actors.keys()];
    io.stderr(`error: unknown actor \`${options.actor}\`\n  hint: ${known.length ? `the policy defines ${known.map((a) => `\`${a}\``).join(', ')}` : 'the policy defines no actors; leave out --actor to check as the anonymous actor'}\n`);
    return 2;
  }

  const inputs: { file?: string; text: string }[] = [];
  if (options.sql !== undefined) inputs.push({ text: options.sql });
  for (const file of options.files) {
    try {
      inputs.push(file === '-' ? { file: '<stdin>', text: await io.readStdin() } : { file: displayName(file), text: await readFile(file, 'utf8') });
    } catch (error) {
      io.stderr(`error: cannot read \`${file}\`: ${(error as Error).message}\n`);
      return 2;
    }
  }

  const checked: CheckedStatement[] = [];
  for (const input of inputs) {
    const { analysis, decisions } = await guard.evaluate({ sql: input.text, actor, session: { door: 'cli' } });
    analysis.statements.forEach((statement, i) => {
      const offset = statement.start + (statement.error?.position !== undefined && analysis.error ? statement.error.position - 1 : 0);
      checked.push({
        index: checked.length,
        ...(input.file !== undefined ? { file: input.file } : {}),
        ...statementPosition(input.text, offset),
        sql: statement.sql.trim(),
        decision: decisions[i]!,
      });
    });
  }

  const report = options.format === 'json' ? jsonReport(checked) : options.format === 'sarif' ? sarifReport(checked, loaded.policy, rules) : textReport(checked);
  io.stdout(report);
  return overall(checked) === 'allow' ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('decide each SQL statement against the policy (exit 0 all allowed, 1 any denied or held for review, 2 usage or policy errors)')
    .argument('[files...]', 'SQL files to check (`-` reads standard input)')
    .option('--policy <file>', 'policy file (default: the shipped default policy)')
    .option('--actor <name>', 'decide as this actor of the policy (default: the anonymous, most restricted actor)')
    .option('--sql <text>', 'SQL text to check instead of (or besides) files')
    .option('--json', 'print the decisions as JSON (same as `--format json`)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addHelpText(
      'after',
      '\nExamples:\n  parapet check --sql "DELETE FROM users"\n  parapet check --policy parapet.yaml --actor ci-bot migrations/*.sql\n  parapet check --format sarif migrations/*.sql > parapet.sarif',
    )
    .action(async (files: string[], opts: { policy?: string; actor?: string; sql?: string; json?: boolean; format: CheckOptions['format'] }) => {
      if (opts.json && opts.format === 'sarif') {
        process.stderr.write('error: `--json` and `--format sarif` exclude each other\n');
        process.exitCode = 2;
        return;
      }
      const io: CheckIO = {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        readStdin: async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      };
      process.exitCode = await runCheck(
        {
          format: opts.json ? 'json' : opts.format,
          files,
          ...(opts.policy !== undefined ? { policy: opts.policy } : {}),
          ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
          ...(opts.sql !== undefined ? { sql: opts.sql } : {}),
        },
        io,
      );
    });
}
