/**
 * The proxy's rules, when this process has them: with the embedded default (the in-process proxy's
 * own guard, and the policy file it loads) or when the operator passes the remote proxy's policy
 * with `--policy`. They let `check` decide and `describe_table` show tags without asking the proxy.
 */
import { readFileSync } from 'node:fs';
import { createGuard } from '../guard/index.js';
import { formatIssue } from '../policy/errors.js';
import { loadPolicy } from '../policy/load-policy.js';
import type { Policy } from '../policy/policy.js';
import type { GuardPort } from '../proxy/ports.js';
import { McpSetupError } from './errors.js';

export interface PolicyRules {
  /** Decides as the proxy does: the running proxy's guard, or one made from the same policy file. */
  guard: GuardPort;
  /** The policy itself: tags live only there. */
  policy: Policy;
}

/** A guard made from a policy file, as `parapet serve` makes it. */
export function rulesFromPolicyFile(file: string, environment?: string): PolicyRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new McpSetupError('MCP_POLICY', `cannot read the policy file \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = loadPolicy(text, { file });
  if (!loaded.ok) throw new McpSetupError('MCP_POLICY', loaded.issues.map(formatIssue).join('\n'));
  return { guard: createGuard({ policy: loaded.policy, ...(environment ? { environment } : {}) }), policy: loaded.policy };
}
