/**
 * `check`: what Parapet would decide for this actor, without running anything. Decided in this
 * process with the proxy's guard and policy (see ../check.ts); unavailable, and saying so, when this
 * process has no copy of the policy.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { checkStatement, type CheckResult } from '../check.js';
import { withReason } from '../reason.js';
import { positionText } from '../refusal.js';
import { errorResult, paramsInput, reasonInput, sqlInput, textResult, type ToolContext } from './context.js';

const actionOutput = z.enum(['allow', 'deny', 'review']);

export function registerCheck(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'check',
    {
      title: 'Check a statement against the policy',
      description:
        'Tells what Parapet would decide for you on a statement — allow, deny, or review (needs a person’s approval) — with the rules, the reason, a hint, and what an allow comes with (masked columns, row caps), without running it. Use it before a statement you are unsure of.',
      inputSchema: z.object({ sql: sqlInput, params: paramsInput, reason: reasonInput }).strict(),
      outputSchema: {
        decision: actionOutput,
        rules: z.array(z.string()),
        message: z.string(),
        hint: z.string().optional(),
        sqlstate: z.string().optional(),
        obligations: z.record(z.string(), z.unknown()),
        statements: z.array(z.object({ index: z.number(), kind: z.string(), action: actionOutput, rules: z.array(z.string()), message: z.string() })),
        position: z.number().optional(),
        atConnect: z.boolean().optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ sql, params, reason }) => runCheck(ctx, sql, params, reason),
  );
}

async function runCheck(ctx: ToolContext, sql: string, params: (string | number | boolean | null)[] | undefined, reason: string | undefined): Promise<CallToolResult> {
  if (!ctx.rules) {
    return errorResult('check is not available: this server has no copy of the proxy’s policy', 'run the statement with query (Parapet decides it there), or ask the operator to start parapet mcp with --policy');
  }
  const text = withReason(sql, reason);
  const outcome = await checkStatement(ctx.rules.guard, {
    actor: ctx.login.user,
    sql: text,
    // As sent on the wire: every value is text (what node-postgres sends for numbers and booleans).
    ...(params ? { params: params.map((p) => (p === null ? null : String(p))) } : {}),
    database: ctx.login.database,
    applicationName: ctx.applicationName(),
    ...(ctx.login.options !== undefined ? { options: ctx.login.options } : {}),
  });
  if (!outcome.ok) return errorResult(outcome.message, outcome.hint);
  const { action, ...rest } = outcome.result;
  return textResult(checkText(outcome.result, text), { decision: action, ...rest });
}

function checkText(result: CheckResult, sql: string): string {
  const verdict = { allow: 'ALLOW', deny: 'DENY', review: 'HOLD FOR REVIEW (a person must approve it)' }[result.action];
  const lines = [`Parapet would ${verdict} this statement${result.atConnect ? ' (at connection: it would not get as far as the statement)' : ''}.`];
  if (result.rules.length > 0) lines.push(`rules: ${result.rules.join(', ')}`);
  lines.push(result.action === 'allow' ? `decision: ${result.message}` : `SQLSTATE ${result.sqlstate}: ${result.message}`);
  if (result.position !== undefined) lines.push(positionText(sql, result.position));
  if (result.hint) lines.push(`hint: ${result.hint}`);
  const obligations = obligationLines(result);
  if (obligations.length > 0) lines.push(`it comes with: ${obligations.join('; ')}`);
  if (result.statements.length > 1) {
    for (const s of result.statements) lines.push(`statement ${s.index + 1} (${s.kind}): ${s.action}${s.rules.length ? ` by ${s.rules.join(', ')}` : ''}`);
  }
  lines.push('Nothing was run.');
  return lines.join('\n');
}

function obligationLines({ obligations: o }: CheckResult): string[] {
  const lines: string[] = [];
  for (const mask of o.mask ?? []) {
    const what = [...mask.columns.map((c) => `\`${c}\``), ...mask.tags.map((t) => `columns tagged ${t}`)];
    lines.push(`masked (${mask.style}): ${what.join(', ')}`);
  }
  if (o.maxResultRows) lines.push(`at most ${o.maxResultRows.rows} rows (${o.maxResultRows.onExceed === 'truncate' ? 'the rest are cut' : 'more is an error'})`);
  if (o.maxAffectedRows) lines.push(`affected rows limited${o.maxAffectedRows.rows !== undefined ? ` to ${o.maxAffectedRows.rows}` : ''}${o.maxAffectedRows.percent !== undefined ? ` to ${o.maxAffectedRows.percent}% of the table` : ''}`);
  if (o.readOnly) lines.push('a read-only transaction');
  if (o.requireReason) lines.push('a stated reason (pass reason)');
  return lines;
}
