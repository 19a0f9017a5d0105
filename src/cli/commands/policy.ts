/**
 * `parapet policy …`: work on policy files. `validate` reports every problem with file:line:col
 * (exit 2 on errors); `test` runs the file's own `tests:` like `opa test` (exit 1 on failures);
 * `schema` prints the JSON Schema for editors; `rules` lists the built-in rules.
 */
import type { Command } from 'commander';
import { runPolicyTests } from '../../guard/index.js';
import { formatIssue } from '../../policy/errors.js';
import type { RuleDefinition } from '../../policy/rule.js';
import { builtinRules } from '../../policy/rules/index.js';
import { policyJsonSchema } from '../../policy/schema.js';
import { readPolicyFile } from '../policy-files.js';

export interface PolicyIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runValidate(file: string, io: PolicyIO, rules: readonly RuleDefinition<any>[] = builtinRules): Promise<number> {
  const loaded = await readPolicyFile(file, { rules });
  if (!loaded.ok) {
    io.stderr(loaded.issues.map(formatIssue).join('\n') + `\n${loaded.issues.length} error${loaded.issues.length === 1 ? '' : 's'}\n`);
    return 2;
  }
  for (const warning of loaded.warnings) io.stderr(formatIssue(warning) + '\n');
  const p = loaded.policy;
  io.stdout(`${p.file}: valid (${p.actors.size} actors, ${p.rules.length} rules, ${p.tests.length} tests)\n`);
  return 0;
}

export async function runTests(file: string, io: PolicyIO, rules: readonly RuleDefinition<any>[] = builtinRules): Promise<number> {
  const loaded = await readPolicyFile(file, { rules });
  if (!loaded.ok) {
    io.stderr(loaded.issues.map(formatIssue).join('\n') + '\n');
    return 2;
  }
  const policy = loaded.policy;
  if (policy.tests.length === 0) {
    io.stderr(`${policy.file}: no tests\n  hint: add cases under \`tests:\` (sql, actor, expect, rules)\n`);
    return 0;
  }
  const results = await runPolicyTests(policy);
  const failed = results.filter((r) => !r.passed);
  for (const result of failed) {
    const { test, decision } = result;
    io.stdout(`FAIL ${policy.file}:${test.line}:${test.column} ${test.name}\n`);
    io.stdout(`  actor: ${test.actor ?? `(anonymous ${policy.anonymous.kind})`}\n  sql: ${test.sql.trim().replace(/\s+/g, ' ')}\n`);
    for (const problem of result.problems) io.stdout(`  ${problem}\n`);
    io.stdout(`  decision: ${decision.message}\n`);
    for (const error of decision.errors) io.stdout(`  error: ${error}\n`);
  }
  io.stdout(`${results.length - failed.length} passed, ${failed.length} failed\n`);
  return failed.length ? 1 : 0;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('validate and test policy files');

  policy
    .command('validate')
    .description('check a policy file: every problem with file:line:col (exit 2 on errors)')
    .argument('<file>', 'policy file (YAML)')
    .action(async (file: string) => {
      process.exitCode = await runValidate(file, stdio);
    });

  policy
    .command('test')
    .description("run the policy file's own `tests:` cases (exit 1 when any fails, 2 when the file is invalid)")
    .argument('<file>', 'policy file (YAML)')
    .action(async (file: string) => {
      process.exitCode = await runTests(file, stdio);
    });

  policy
    .command('schema')
    .description('print the JSON Schema of policy files (for editor completion and validation)')
    .action(() => {
      process.stdout.write(JSON.stringify(policyJsonSchema(builtinRules), null, 2) + '\n');
    });

  policy
    .command('rules')
    .description('list the built-in rules with their default action')
    .action(() => {
      const width = Math.max(...builtinRules.map((r) => r.id.length));
      for (const rule of builtinRules) process.stdout.write(`${rule.id.padEnd(width)}  ${rule.defaultAction.padEnd(6)}  ${rule.summary}\n`);
    });
}

const stdio: PolicyIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
