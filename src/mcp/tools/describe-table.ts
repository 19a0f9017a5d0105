/**
 * `describe_table`: a table's columns (name, type, nullability, default, key, comment) from the
 * catalog through the proxy, with the policy's tags and — for this actor — which columns come back
 * masked, when this process has the policy.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { withProxySession } from '../proxy-client.js';
import { parapetNoticeLines } from '../render.js';
import { maskedColumns, relationTags } from '../tags.js';
import { untrustedBlock } from '../untrusted.js';
import { errorResult, refusalOutput, refusalResult, textResult, type ToolContext } from './context.js';

/** One row per column; `to_regclass` resolves the name as the server would (search path, quoting). */
const DESCRIBE = `SELECT n.nspname AS schema, c.relname AS table,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'other' END AS kind,
       a.attname AS column, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS primary_key,
       pg_catalog.col_description(c.oid, a.attnum) AS comment
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE c.oid = pg_catalog.to_regclass($1)
 ORDER BY a.attnum`;

const columnOutput = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  default: z.string().nullable(),
  primaryKey: z.boolean(),
  comment: z.string().nullable(),
  tags: z.array(z.string()).optional(),
  masked: z.boolean().optional(),
});

export function registerDescribeTable(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'describe_table',
    {
      title: 'Describe a table',
      description:
        'Shows the columns of a table or view: name, type, nullable, default, primary key, comment — and the policy’s tags (such as pii) and whether each column comes back masked for you, when known.',
      inputSchema: z.object({ table: z.string().min(1).max(200).describe('table or view name, optionally schema-qualified (`orders`, `public.orders`)') }).strict(),
      outputSchema: {
        schema: z.string().optional(),
        table: z.string().optional(),
        kind: z.string().optional(),
        tags: z.array(z.string()).optional(),
        tagsKnown: z.boolean().optional(),
        columns: z.array(columnOutput).optional(),
        error: refusalOutput.optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ table }) => describeTable(ctx, table),
  );
}

async function describeTable(ctx: ToolContext, name: string): Promise<CallToolResult> {
  const outcome = await withProxySession(ctx.login, ctx.applicationName(), (session) => session.run(DESCRIBE, { params: [name], maxRows: 10_000 }));
  if (!outcome.ok) return refusalResult(outcome, DESCRIBE);
  const rows = outcome.results[0]?.rows ?? [];
  if (rows.length === 0) return errorResult(`table \`${name}\` does not exist or has no columns`, 'use list_tables to see the tables; quote names with capitals: `"MyTable"`');
  const [schema, table, kind] = rows[0]!.map(String) as [string, string, string];
  let columns = rows.map((r) => ({
    name: String(r[3]),
    type: String(r[4]),
    nullable: r[5] === true,
    default: r[6] === null ? null : String(r[6]),
    primaryKey: r[7] === true,
    comment: r[8] === null ? null : String(r[8]),
  }));
  const structured: Record<string, unknown> = { schema, table, kind, tagsKnown: ctx.rules !== undefined };
  const { rules } = ctx;
  const actor = rules?.guard.actor(ctx.login.user);
  if (rules) {
    const { tags, columnTags } = relationTags(rules.policy, schema, table);
    const masked = actor
      ? await maskedColumns(rules, actor, schema, table, columns.map((c) => c.name), { database: ctx.login.database, door: 'proxy', transaction: 'idle', applicationName: ctx.applicationName() })
      : undefined;
    structured.tags = tags;
    columns = columns.map((c) => ({ ...c, tags: columnTags[c.name] ?? [], ...(masked ? { masked: masked.has(c.name) } : {}) }));
  }
  structured.columns = columns;
  const lines = columns.map((c) => {
    const extra = c as { tags?: string[]; masked?: boolean };
    const facts = [c.type, c.nullable ? 'null' : 'not null', ...(c.primaryKey ? ['primary key'] : []), ...(c.default !== null ? [`default ${c.default}`] : [])];
    const policy = [...(extra.tags?.length ? [`tags: ${extra.tags.join(', ')}`] : []), ...(extra.masked ? ['masked for you'] : [])];
    return `${c.name}: ${facts.join(', ')}${policy.length ? ` [${policy.join('; ')}]` : ''}${c.comment ? ` — ${c.comment}` : ''}`;
  });
  const head = [`${kind} ${schema}.${table}, ${columns.length} columns${rules ? '' : ' (tags unknown: this server has no copy of the policy)'}`];
  const masked = columns.filter((c) => (c as { masked?: boolean }).masked).map((c) => c.name);
  if (masked.length > 0) head.push(`masked for you by Parapet's policy (values come back hidden): ${masked.join(', ')}`);
  head.push(...parapetNoticeLines(outcome.notices));
  return textResult(`${head.join('\n')}\n${untrustedBlock(lines.join('\n'))}`, structured);
}
