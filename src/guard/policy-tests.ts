/**
 * Runs a policy's own `tests:` (sql + actor → expected decision and rule ids), like `opa test`:
 * each case goes through the full guard pipeline with the static catalog, its own time, and the
 * impact figure it states.
 */
import type { PolicyTestCase, Policy } from '../policy/policy.js';
import type { Decision } from '../policy/types.js';
import { createGuard } from './guard.js';
import type { GuardOptions } from './types.js';

export interface PolicyTestResult {
  test: PolicyTestCase;
  passed: boolean;
  decision: Decision;
  /** What differed from the expectation, one line each. */
  problems: string[];
}

export async function runPolicyTests(policy: Policy, options: Pick<GuardOptions, 'catalog' | 'analyze' | 'clock'> = {}): Promise<PolicyTestResult[]> {
  const results: PolicyTestResult[] = [];
  for (const test of policy.tests) {
    const guard = createGuard({
      policy,
      ...options,
      ...(test.environment !== undefined ? { environment: test.environment } : {}),
      ...(test.now !== undefined ? { clock: () => new Date(test.now!) } : {}),
      ...(test.impact ? { impact: { measure: async () => test.impact! } } : {}),
    });
    const actor = test.actor !== undefined ? guard.actor(test.actor)! : guard.anonymousActor();
    const { decision } = await guard.evaluate({
      sql: test.sql,
      actor,
      session: { door: 'cli', ...test.session },
      ...(test.parameters ? { parameters: test.parameters } : {}),
    });
    const problems: string[] = [];
    if (decision.action !== test.expect) problems.push(`expected \`${test.expect}\`, got \`${decision.action}\``);
    if (test.rules && !sameSet(test.rules, decision.rules)) {
      problems.push(`expected rules ${listed(test.rules)}, got ${listed(decision.rules)}`);
    }
    results.push({ test, passed: problems.length === 0, decision, problems });
  }
  return results;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(b);
  return new Set(a).size === set.size && a.every((x) => set.has(x));
}

function listed(rules: readonly string[]): string {
  return rules.length ? `[${rules.join(', ')}]` : '[]';
}
