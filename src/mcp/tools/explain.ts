/**
 * `explain`: the plan of a statement without running it — `EXPLAIN (FORMAT JSON)`, never ANALYZE.
 * Sent with the extended protocol, so the server accepts exactly one statement; and checked here
 * first with the analyser, so nothing the agent writes can turn it into a statement that runs.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { analyze, initParser } from '../../sql/index.js';
import { withProxySession } from '../proxy-client.js';
import { untrustedBlock } from '../untrusted.js';
import { errorResult, paramsInput, refusalOutput, refusalResult, sqlInput, textResult, type ToolContext } from './context.js';

export function registerExplain(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'explain',
    {
      title: 'Show a query plan',
      description:
        'Shows how PostgreSQL would execute one statement (EXPLAIN, JSON format) without running it: estimated rows and cost, the indexes used. Parapet decides it like any statement.',
      inputSchema: z.object({ sql: sqlInput, params: paramsInput }).strict(),
      outputSchema: { plan: z.unknown().optional(), error: refusalOutput.optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ sql, params }) => runExplain(ctx, sql, params),
  );
}

async function runExplain(ctx: ToolContext, sql: string, params: (string | number | boolean | null)[] | undefined): Promise<CallToolResult> {
  const text = `EXPLAIN (FORMAT JSON) ${sql}`;
  const problem = await planOnlyProblem(text);
  if (problem) return errorResult(problem, 'pass one statement without EXPLAIN or ANALYZE; explain adds them itself and never runs the statement');
  const outcome = await withProxySession(ctx.login, ctx.applicationName(), (session) =>
    session.run(text, { ...(params ? { params } : {}), maxRows: 1, singleStatement: true }),
  );
  if (!outcome.ok) return refusalResult(outcome, text);
  const plan = outcome.results[0]?.rows[0]?.[0] ?? null;
  return textResult(`plan of the statement (not run):\n${untrustedBlock(JSON.stringify(plan, null, 2))}`, { plan });
}

/** Why `text` is not a single plan-only EXPLAIN, or undefined when it is (or does not parse: the proxy then says where). */
async function planOnlyProblem(text: string): Promise<string | undefined> {
  await initParser();
  const analysis = analyze(text);
  if (analysis.error) return undefined;
  if (analysis.statements.length !== 1) return 'explain takes exactly one statement';
  const effects = analysis.statements[0]!.effects;
  if (effects.some((e) => e.type === 'explain' && e.analyze)) return 'explain never runs the statement, so ANALYZE is not allowed';
  return undefined;
}
