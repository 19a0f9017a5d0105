/**
 * Scaffolds a built-in rule: `node --import tsx scripts/new-rule.ts <id>` writes
 * src/policy/rules/<id>.ts from a template, registers it in src/policy/rules/index.ts and
 * regenerates the rule docs. The template's examples are placeholders that fail the example test
 * until they are replaced with real SQL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repositoryRoot } from './gen-rule-docs.js';

const RULES_DIR = 'src/policy/rules';
const IMPORTS_MARKER = '// new-rule: imports above';
const ENTRIES_MARKER = '  // new-rule: entries above';

/** Rule ids are kebab-case: lower-case words of letters and digits joined by single hyphens. */
export const RULE_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** `no-foo-bar` → `noFooBar`, the name the rule's module exports. */
export function camelName(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The source of a new rule module. */
export function ruleTemplate(id: string): string {
  const name = camelName(id);
  const params = `${name[0]!.toUpperCase()}${name.slice(1)}Params`;
  return `import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { effectsOf, origin } from './support.js';

export type ${params} = Record<string, never>;

export const ${name} = defineRule({
  id: '${id}',
  summary: 'TODO: one line, what the rule blocks or requires',
  rationale: 'TODO: the problem it prevents (the doc page\\'s "Problem" section)',
  solution: 'TODO: how to proceed when the rule blocks a statement',
  defaultAction: 'deny',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {} as ${params},
  examples: {
    match: [{ sql: 'TODO: a statement the rule must match' }],
    noMatch: [{ sql: 'SELECT 1' }],
  },
  check({ request }: RuleContext<${params}>): RuleMatch[] {
    // Report each finding as a value; never throw. Messages: lowercase, user input in backticks.
    return effectsOf(request.statement, 'ddl').map((effect) => ({
      message: \`the statement TODO\${origin(effect)}\`,
      hint: 'TODO: how to succeed',
    }));
  },
});
`;
}

/** The registry source with the rule's import and entry added; an error text when it cannot be. */
export function registerRule(indexSource: string, id: string): string | { error: string } {
  const name = camelName(id);
  if (indexSource.includes(`'./${id}.js'`)) return { error: `rule \`${id}\` is already registered` };
  if (!indexSource.includes(IMPORTS_MARKER) || !indexSource.includes(ENTRIES_MARKER)) {
    return { error: `the registry has lost its \`${IMPORTS_MARKER}\` / \`${ENTRIES_MARKER.trim()}\` markers` };
  }
  return indexSource
    .replace(IMPORTS_MARKER, `import { ${name} } from './${id}.js';\n${IMPORTS_MARKER}`)
    .replace(ENTRIES_MARKER, `  ${name},\n${ENTRIES_MARKER}`);
}

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

function main(): void {
  const id = process.argv[2];
  if (id === undefined || id === '--help' || id === '-h') fail('usage: node --import tsx scripts/new-rule.ts <rule-id>   (kebab-case, e.g. no-lock-table)', id === undefined ? 2 : 0);
  if (!RULE_ID_PATTERN.test(id)) fail(`rule id \`${id}\` is not kebab-case (lower-case words joined by hyphens)`, 2);
  const root = repositoryRoot();
  const file = join(root, RULES_DIR, `${id}.ts`);
  if (existsSync(file)) fail(`${RULES_DIR}/${id}.ts already exists`, 2);
  const indexFile = join(root, RULES_DIR, 'index.ts');
  const registered = registerRule(readFileSync(indexFile, 'utf8'), id);
  if (typeof registered !== 'string') fail(registered.error, 2);

  writeFileSync(file, ruleTemplate(id));
  writeFileSync(indexFile, registered);
  const docs = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/gen-rule-docs.ts')], { cwd: root, stdio: 'inherit' });
  if (docs.status !== 0) fail('the rule was created, but its doc page was not generated', 1);
  console.log(`created ${RULES_DIR}/${id}.ts, registered it, and generated docs/rules/${id}.md`);
  console.log('next: fill in the TODOs and examples, run `node --import tsx scripts/gen-rule-docs.ts` again, then `node --import tsx --test test/policy/rules.test.ts`');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
