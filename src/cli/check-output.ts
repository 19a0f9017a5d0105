/**
 * How `parapet check` reports: a readable text listing, the JSON shape CI scripts parse, and SARIF
 * 2.1.0 for code-scanning annotations (file and line per statement).
 */
import type { Policy } from '../policy/policy.js';
import { EngineRule } from '../policy/policy.js';
import type { RuleDefinition } from '../policy/rule.js';
import type { Action, Decision } from '../policy/types.js';

/** One decided statement with where it came from. */
export interface CheckedStatement {
  /** 0-based, across every input. */
  index: number;
  /** File name; absent for `--sql` text. */
  file?: string;
  /** 1-based line of the statement's first token. */
  line: number;
  column: number;
  sql: string;
  decision: Decision;
}

const SEVERITY: Record<Action, number> = { allow: 0, review: 1, deny: 2 };

export function overall(statements: readonly CheckedStatement[]): Action {
  let action: Action = 'allow';
  for (const s of statements) if (SEVERITY[s.decision.action] > SEVERITY[action]) action = s.decision.action;
  return action;
}

export function textReport(statements: readonly CheckedStatement[]): string {
  const lines: string[] = [];
  for (const s of statements) {
    const where = s.file ? `${s.file}:${s.line}` : `statement ${s.index + 1}`;
    lines.push(`${s.decision.action.padEnd(6)} ${where}  ${excerpt(s.sql)}`);
    if (s.decision.action === 'allow') {
      if (s.decision.message !== 'allowed') lines.push(`       ${s.decision.message}`);
      continue;
    }
    lines.push(`       ${s.decision.message} [${s.decision.rules.join(', ')}]`);
    if (s.decision.hint) lines.push(`       hint: ${s.decision.hint}`);
    for (const error of s.decision.errors) lines.push(`       error: ${error}`);
  }
  const count = (action: Action) => statements.filter((s) => s.decision.action === action).length;
  lines.push(`${statements.length} statement${statements.length === 1 ? '' : 's'}: ${count('allow')} allowed, ${count('deny')} denied, ${count('review')} held for review`);
  return lines.join('\n') + '\n';
}

export function jsonReport(statements: readonly CheckedStatement[]): string {
  const report = {
    decision: overall(statements),
    statements: statements.map((s) => ({
      index: s.index,
      ...(s.file ? { file: s.file } : {}),
      line: s.line,
      sql: s.sql,
      decision: s.decision.action,
      rules: s.decision.rules,
      message: s.decision.message,
      ...(s.decision.hint ? { hint: s.decision.hint } : {}),
      ...(s.decision.errors.length ? { errors: s.decision.errors } : {}),
    })),
  };
  return JSON.stringify(report, null, 2) + '\n';
}

const ENGINE_DESCRIPTIONS: Record<string, string> = {
  [EngineRule.baseline]: 'No rule decided; the baseline of the actor kind applied',
  [EngineRule.analysis]: 'The statement could not be parsed or analysed',
  [EngineRule.pipeline]: 'The guard pipeline could not gather the facts a decision needs',
  [EngineRule.unenforceable]: 'The entry point cannot enforce an obligation the policy requires',
  [EngineRule.readOnlySession]: 'A read-only session cannot run a statement whose effects are unknown',
  [EngineRule.database]: 'The actor may not connect to this database',
  [EngineRule.startup]: 'A startup parameter that cannot be allowed',
};

/** SARIF 2.1.0: one result per blocking reason of each denied or held statement. */
export function sarifReport(statements: readonly CheckedStatement[], policy: Policy, rules: readonly RuleDefinition<any>[]): string {
  const results = statements.flatMap((s) =>
    s.decision.action === 'allow'
      ? []
      : blockingReasons(s.decision).map((reason) => ({
          ruleId: reason.rule,
          level: s.decision.action === 'deny' ? 'error' : 'warning',
          message: { text: reason.hint ? `${reason.message}; hint: ${reason.hint}` : reason.message },
          ...(s.file
            ? { locations: [{ physicalLocation: { artifactLocation: { uri: s.file.split('\\').join('/') }, region: { startLine: s.line, startColumn: s.column } } }] }
            : {}),
          properties: { statementIndex: s.index, decision: s.decision.action },
        })),
  );
  const used = [...new Set(results.map((r) => r.ruleId))].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'parapet',
            rules: used.map((id) => ({ id, shortDescription: { text: describeRule(id, policy, rules) } })),
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

function blockingReasons(decision: Decision) {
  const reasons = decision.reasons.filter((r) => r.action === decision.action);
  return reasons.length ? reasons : [{ rule: decision.rules[0] ?? EngineRule.baseline, action: decision.action, message: decision.message, hint: decision.hint }];
}

function describeRule(id: string, policy: Policy, rules: readonly RuleDefinition<any>[]): string {
  const builtin = rules.find((r) => r.id === id);
  if (builtin) return builtin.summary;
  const custom = policy.rules.find((r) => r.id === id && !r.definition);
  return ENGINE_DESCRIPTIONS[id] ?? custom?.message ?? `custom rule \`${id}\``;
}

function excerpt(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 72 ? `${flat.slice(0, 71)}…` : flat;
}

/**
 * Line and column of a statement's first token: a statement's text may start with the whitespace
 * and comments that followed the previous `;`.
 */
export function statementPosition(text: string, start: number): { line: number; column: number } {
  let i = start;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else break;
  }
  if (i >= text.length) i = Math.min(start, text.length);
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < i; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: i - lineStart + 1 };
}
