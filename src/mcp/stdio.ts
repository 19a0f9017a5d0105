/**
 * MCP over stdio (`parapet mcp`): one session, one actor, for as long as the client keeps stdin
 * open. stdout carries the protocol only; everything else goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { PolicyRules } from './policy-source.js';
import type { ProxyLogin } from './proxy-client.js';
import { createMcpServer } from './server.js';

export interface McpStdioOptions {
  login: ProxyLogin;
  maxRows: number;
  rules?: PolicyRules;
  /** Resolves to stop early (a signal). */
  stop?: Promise<void>;
}

/** Serves until the client closes stdin (or `stop` resolves). */
export async function serveStdio(options: McpStdioOptions): Promise<void> {
  const server = createMcpServer({ login: options.login, maxRows: options.maxRows, ...(options.rules ? { rules: options.rules } : {}) });
  const done = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    server.server.onclose = resolve;
    void options.stop?.then(resolve);
  });
  await server.connect(new StdioServerTransport());
  await done;
  await server.close();
}
