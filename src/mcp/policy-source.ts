/**
 * The policy, when this process has it: with the embedded default (the same file the in-process
 * proxy loads) or when the operator passes the remote proxy's policy with `--policy`. It lets
 * `check` decide and `describe_table` show tags without asking the proxy.
 */
import { readFileSync } from 'node:fs';
import { createGuard, type Guard } from '../guard/index.js';
import { formatIssue } from '../policy/errors.js';
import { loadPolicy } from '../policy/load-policy.js';
import { McpSetupError } from './errors.js';

export function guardFromPolicyFile(file: string, environment?: string): Guard {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new McpSetupError('MCP_POLICY', `cannot read the policy file \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = loadPolicy(text, { file });
  if (!loaded.ok) throw new McpSetupError('MCP_POLICY', loaded.issues.map(formatIssue).join('\n'));
  return createGuard({ policy: loaded.policy, ...(environment ? { environment } : {}) });
}
