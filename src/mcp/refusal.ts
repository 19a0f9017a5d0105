/**
 * A statement that did not run, as a tool error an agent can learn from. Parapet's refusals are told
 * apart by their DETAIL (`parapet rules: a, b`, ` (held for review)` when a person must approve;
 * see src/proxy/denial.ts): the rule ids, message and hint are Parapet's own words and are shown as
 * such. Any other error is the database's, and its text — which can echo stored data — is framed as
 * untrusted data.
 */
import { EngineRule } from '../policy/policy.js';
import { untrustedBlock } from './untrusted.js';
import type { ServerMessage } from './proxy-client.js';

const PARAPET_DETAIL = /^parapet rules: ([\w.:-]+(?:, [\w.:-]+)*)( \(held for review\))?$/;

/** The structured form of a refusal (the tool result's `structuredContent.error`). */
export interface Refusal {
  /** Who refused: Parapet's policy, or the database itself (a failed statement). */
  by: 'parapet' | 'database';
  /** For Parapet: denied outright, or held for a person's approval. */
  decision?: 'deny' | 'review';
  /** The rule ids that decided (Parapet only). */
  rules: string[];
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement, for errors that point at one (syntax errors). */
  position?: number;
}

export function refusalOf(error: ServerMessage): Refusal {
  const match = error.detail ? PARAPET_DETAIL.exec(error.detail) : null;
  const common = {
    sqlstate: error.sqlstate,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.position !== undefined ? { position: error.position } : {}),
  };
  if (match) return { by: 'parapet', decision: match[2] ? 'review' : 'deny', rules: match[1]!.split(', '), ...common };
  return { by: 'database', rules: [], ...common, ...(error.detail ? { detail: error.detail } : {}) };
}

/**
 * The text an agent reads: what happened, why, and what to do next. `atConnect`: the session with
 * the proxy was refused (the policy's connect decision, or a login the operator must fix).
 */
export function refusalText(refusal: Refusal, sql: string, atConnect = false): string {
  const where = refusal.position !== undefined ? positionText(sql, refusal.position) : undefined;
  if (atConnect && refusal.by === 'database') {
    return [
      'The MCP server could not open a session on the Parapet proxy, so nothing was run.',
      `SQLSTATE ${refusal.sqlstate}: ${refusal.message}`,
      ...(refusal.hint ? [`hint: ${refusal.hint}`] : []),
      'Next: this is the operator’s to fix (the server’s credentials or the proxy); no statement can work around it. Tell the user.',
    ].join('\n');
  }
  if (refusal.by === 'parapet') {
    const lines = [
      atConnect
        ? 'Parapet refused the session for this actor, so nothing was run.'
        : refusal.decision === 'review'
          ? 'Parapet holds this statement for a person’s approval, so it was not run.'
          : 'Parapet denied this statement, so it was not run.',
      `rules: ${refusal.rules.join(', ')}`,
      `SQLSTATE ${refusal.sqlstate}: ${refusal.message}`,
    ];
    if (where) lines.push(where);
    if (refusal.hint) lines.push(`hint: ${refusal.hint}`);
    lines.push(nextStep(refusal));
    return lines.join('\n');
  }
  const body = [`SQLSTATE ${refusal.sqlstate}: ${refusal.message}`];
  if (refusal.detail) body.push(`detail: ${refusal.detail}`);
  if (refusal.hint) body.push(`hint: ${refusal.hint}`);
  if (where) body.push(where);
  return `The database reported an error, so the statement failed (Parapet allowed it).\n${untrustedBlock(body.join('\n'))}`;
}

function nextStep(refusal: Refusal): string {
  if (refusal.decision === 'review') return 'Next: ask the user to have it approved, or find a way to do the task that needs no approval.';
  if (refusal.rules.every((r) => r === EngineRule.analysis)) return 'Next: correct the statement where it goes wrong and send it again.';
  return 'Next: change the statement as the hint says and try again. Do not look for another statement that does the same thing: it is denied too. If the task truly needs this, ask the user.';
}

/** `at character 8:` and the line of the statement holding it, with a caret under the character. */
export function positionText(sql: string, position: number): string {
  const chars = Array.from(sql);
  const index = Math.min(Math.max(position - 1, 0), chars.length);
  let start = index;
  while (start > 0 && chars[start - 1] !== '\n') start--;
  let end = index;
  while (end < chars.length && chars[end] !== '\n') end++;
  const line = chars.slice(start, end).join('');
  const caret = `${chars.slice(start, index).map((c) => (c === '\t' ? '\t' : ' ')).join('')}^`;
  return `at character ${position}:\n  ${line}\n  ${caret}`;
}
