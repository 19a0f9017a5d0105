/** `list_tables`: the tables and views the actor can see, from the catalog, through the proxy. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { withProxySession } from '../proxy-client.js';
import { parapetNoticeLines } from '../render.js';
import { relationTags } from '../tags.js';
import { untrustedBlock } from '../untrusted.js';
import { refusalOutput, refusalResult, textResult, type ToolContext } from './context.js';

/** Relations of the user's schemas; `has_table_privilege` is the upstream role's, the best the proxy's session can tell. */
const LIST_TABLES = `SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND ($1::text IS NULL OR n.nspname = $1::text)
 ORDER BY 1, 2`;

const tableOutput = z.object({
  schema: z.string(),
  name: z.string(),
  kind: z.string(),
  comment: z.string().nullable(),
  tags: z.array(z.string()).optional(),
});

export function registerListTables(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'list_tables',
    {
      title: 'List tables',
      description: 'Lists the tables and views of the database (schema, name, kind, comment, and the policy’s tags such as pii when known). System schemas are left out.',
      inputSchema: z.object({ schema: z.string().max(63).optional().describe('only this schema (default: all user schemas)') }).strict(),
      outputSchema: { tables: z.array(tableOutput).optional(), error: refusalOutput.optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ schema }) => listTables(ctx, schema),
  );
}

async function listTables(ctx: ToolContext, schema: string | undefined): Promise<CallToolResult> {
  const outcome = await withProxySession(ctx.login, ctx.applicationName(), (session) => session.run(LIST_TABLES, { params: [schema ?? null], maxRows: 10_000 }));
  if (!outcome.ok) return refusalResult(outcome, LIST_TABLES);
  const tables = (outcome.results[0]?.rows ?? []).map(([schemaName, name, kind, comment]) => {
    const table: { schema: string; name: string; kind: string; comment: string | null; tags?: string[] } = { schema: String(schemaName), name: String(name), kind: String(kind), comment: comment === null ? null : String(comment) };
    const tags = ctx.rules ? relationTags(ctx.rules.policy, table.schema, table.name).tags : undefined;
    return tags ? { ...table, tags } : table;
  });
  const lines = tables.map((t) => `${t.schema}.${t.name} (${t.kind})${t.tags?.length ? ` tags: ${t.tags.join(', ')}` : ''}${t.comment ? ` — ${t.comment}` : ''}`);
  const head = [tables.length === 0 ? 'no tables or views found' : `${tables.length} tables and views:`, ...parapetNoticeLines(outcome.notices)].join('\n');
  const text = tables.length === 0 ? head : `${head}\n${untrustedBlock(lines.join('\n'))}`;
  return textResult(text, { tables });
}
