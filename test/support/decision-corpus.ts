/**
 * The decision corpus: YAML files in test/decisions (policy, actor, sql → decision, rule ids) that
 * every door replays — the core now, the proxy and the MCP server through their own doors — and
 * that must give zero differences. A door supplies a `CorpusDecider`; `runCorpus` compares.
 *
 * File format:
 *   policy: ../../policies/default.yaml   # a path relative to the file, or an inline policy mapping
 *   actors:                               # optional: actors added to (or replacing those of) the policy
 *     alice: { kind: human }
 *   cases:
 *     - name: agents may not drop tables
 *       actor: alice                      # absent: the policy's anonymous (most restricted) actor
 *       sql: DROP TABLE users
 *       decision: deny                    # allow | deny | review
 *       rules: [no-drop]                  # the exact set of rule ids (optional)
 *       session: { database: app }        # optional SessionContext fields
 *       impact: { rows: 5 }               # optional impact figure (a door without one skips the case)
 *       now: 2025-01-15T12:00:00Z         # optional decision time
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { createGuard } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import type { Action, ImpactFigure, SessionContext } from '../../src/policy/types.js';

/** test/decisions of the repository, whether this module runs from test/ (tsx) or dist/test/. */
const CORPUS_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'test', 'decisions'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find test/decisions');
    dir = parent;
  }
  return join(dir, 'test', 'decisions');
})();

export interface CorpusCase {
  /** `file.yaml#3: name`, stable for reports. */
  id: string;
  file: string;
  name: string;
  /** The policy as text (with the file's extra actors merged in), and a name for messages. */
  policy: { name: string; text: string };
  actor?: string;
  sql: string;
  session?: SessionContext;
  impact?: ImpactFigure;
  now?: string;
  expect: { decision: Action; rules?: string[] };
}

export interface CorpusOutcome {
  action: Action;
  rules: string[];
}

/** Decides one case through a door. Return `undefined` to skip a case the door cannot replay. */
export type CorpusDecider = (c: CorpusCase) => Promise<CorpusOutcome | undefined>;

export interface CorpusDifference {
  case: CorpusCase;
  got: CorpusOutcome;
  problems: string[];
}

interface CorpusFile {
  policy: string | Record<string, unknown>;
  actors?: Record<string, unknown>;
  cases: {
    name: string;
    actor?: string;
    sql: string;
    decision: Action;
    rules?: string[];
    session?: SessionContext;
    impact?: { rows: number | 'unknown'; tableRows?: number; mode?: 'estimate' | 'exact' };
    now?: string;
  }[];
}

/** Every case of every corpus file (or of the files whose names contain one of `only`). */
export function loadDecisionCorpus(...only: string[]): CorpusCase[] {
  const files = readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml') && (only.length === 0 || only.some((o) => f.includes(o))))
    .sort();
  return files.flatMap((file) => casesOf(file));
}

function casesOf(file: string): CorpusCase[] {
  const path = join(CORPUS_DIR, file);
  const data = parse(readFileSync(path, 'utf8')) as CorpusFile;
  const policy = policyOf(data, path);
  return data.cases.map((c, i) => ({
    id: `${file}#${i}: ${c.name}`,
    file,
    name: c.name,
    policy,
    ...(c.actor !== undefined ? { actor: c.actor } : {}),
    sql: c.sql,
    ...(c.session ? { session: c.session } : {}),
    ...(c.impact ? { impact: { rows: c.impact.rows, mode: c.impact.mode ?? 'estimate', ...(c.impact.tableRows !== undefined ? { tableRows: c.impact.tableRows } : {}) } } : {}),
    ...(c.now !== undefined ? { now: String(c.now) } : {}),
    expect: { decision: c.decision, ...(c.rules ? { rules: c.rules } : {}) },
  }));
}

function policyOf(data: CorpusFile, path: string): CorpusCase['policy'] {
  let document: Record<string, unknown>;
  let name: string;
  if (typeof data.policy === 'string') {
    const policyPath = resolve(dirname(path), data.policy);
    document = (parse(readFileSync(policyPath, 'utf8')) as Record<string, unknown> | null) ?? {};
    name = relative(process.cwd(), policyPath);
  } else {
    document = data.policy;
    name = `${relative(process.cwd(), path)} (inline policy)`;
  }
  if (data.actors) document = { ...document, actors: { ...(document.actors as object | undefined), ...data.actors } };
  return { name, text: stringify(document) };
}

/** Replays cases through a door and returns every difference from the expected outcome. */
export async function runCorpus(decide: CorpusDecider, cases: readonly CorpusCase[] = loadDecisionCorpus()): Promise<CorpusDifference[]> {
  const differences: CorpusDifference[] = [];
  for (const c of cases) {
    const got = await decide(c);
    if (!got) continue;
    const problems = compare(c, got);
    if (problems.length) differences.push({ case: c, got, problems });
  }
  return differences;
}

/** What differs between a case's expectation and an outcome (empty when they agree). */
export function compare(c: CorpusCase, got: CorpusOutcome): string[] {
  const problems: string[] = [];
  if (got.action !== c.expect.decision) problems.push(`expected ${c.expect.decision}, got ${got.action}`);
  if (c.expect.rules) {
    const expected = [...new Set(c.expect.rules)].sort();
    const actual = [...new Set(got.rules)].sort();
    if (expected.join() !== actual.join()) problems.push(`expected rules [${expected.join(', ')}], got [${actual.join(', ')}]`);
  }
  return problems;
}

/** One line per difference, for assertion messages. */
export function describeDifferences(differences: readonly CorpusDifference[]): string {
  return differences.map((d) => `${d.case.id}\n  sql: ${d.case.sql.trim()}\n  ${d.problems.join('; ')}`).join('\n');
}

const policies = new Map<string, Policy>();

/** The reference door: the guard pipeline called directly, as every other door must agree with. */
export const coreDecider: CorpusDecider = async (c) => {
  let policy = policies.get(c.policy.text);
  if (!policy) {
    const loaded = loadPolicy(c.policy.text, { file: c.policy.name });
    if (!loaded.ok) throw new Error(`${c.id}: the policy does not load: ${loaded.issues.map((i) => i.message).join('; ')}`);
    policies.set(c.policy.text, (policy = loaded.policy));
  }
  const guard = createGuard({
    policy,
    ...(c.now !== undefined ? { clock: () => new Date(c.now!) } : {}),
    ...(c.impact ? { impact: { measure: async () => c.impact! } } : {}),
  });
  const actor = c.actor !== undefined ? guard.actor(c.actor) : guard.anonymousActor();
  if (!actor) throw new Error(`${c.id}: unknown actor \`${c.actor}\``);
  const { decision } = await guard.evaluate({ sql: c.sql, actor, session: { door: 'cli', ...c.session } });
  return { action: decision.action, rules: decision.rules };
};
