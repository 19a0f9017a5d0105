/**
 * `parapet mcp`: Parapet as an AI agent's database tool, over MCP (stdio, or streamable HTTP with
 * `--http`). It reaches the database only through a Parapet proxy, as the actor: `PARAPET_URL`
 * (the actor's own credentials), or with nothing configured the embedded default in this process.
 * Exit 2 on configuration errors, 1 when it cannot start otherwise.
 */
import type { Command } from 'commander';
import { DEFAULT_MAX_ROWS, EMBEDDED_ACTOR, PROXY_URL_ENV, TOKENS_ENV } from '../../mcp/defaults.js';
import type { McpFlags } from '../mcp-run.js';

export function register(program: Command): void {
  program
    .command('mcp')
    .description(
      'serve parapet as an MCP server for AI agents (tools: query, explain, list_tables, describe_table, check); every statement goes through a parapet proxy as the actor, so the proxy decides and audits it',
    )
    .option('--url <url>', `the proxy, with the actor's own credentials: postgres://actor:password@host:port/database (default $${PROXY_URL_ENV}; without one, the embedded default runs in this process as its sample \`${EMBEDDED_ACTOR}\`)`)
    .option('--policy <file>', 'the policy the remote proxy runs, so `check` can decide and `describe_table` can show tags here')
    .option('--environment <name>', 'the environment the remote proxy decides in, for `check` (default: the policy\'s own)')
    .option('--http <host:port>', 'serve MCP over streamable HTTP at http://HOST:PORT/mcp instead of stdio')
    .option('--allow-remote', 'with --http: allow an address that is not loopback (put TLS in front: tokens travel in the clear)')
    .option('--tokens <file>', `with --http: bearer tokens, each mapped to an actor and its password (default $${TOKENS_ENV}; see docs/mcp.md)`)
    .option('--allow-origin <origin>', 'with --http: a browser origin allowed to call the server besides its own (repeatable)', (value: string, list: string[] | undefined) => [...(list ?? []), value])
    .option('--max-rows <n>', `rows returned per result; the rest are counted and reported (default ${DEFAULT_MAX_ROWS})`)
    .option('-c, --config <file>', 'configuration of the embedded default (data directory, audit trail, limits); ./parapet.yaml when present')
    .option('--actor <name>', `the actor the embedded default logs in as (default ${EMBEDDED_ACTOR})`)
    .action(async (flags: McpFlags) => {
      // The MCP SDK (and the server around it) loads here only: `serve` and the rest never need it.
      const { runMcp } = await import('../mcp-run.js');
      process.exitCode = await runMcp(flags);
    });
}
