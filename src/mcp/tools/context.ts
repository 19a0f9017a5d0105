/**
 * What every tool works with. The login is fixed when the MCP session starts (from the server's
 * environment or the bearer token) and no tool argument can change it: tools take SQL and values,
 * never a host, user, database or policy.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { PolicyRules } from '../policy-source.js';
import type { ProxyLogin, ServerMessage } from '../proxy-client.js';
import { EngineRule } from '../../policy/policy.js';
import { refusalOf, refusalText, type Refusal } from '../refusal.js';
import { syntaxErrorPosition } from '../syntax-position.js';

export interface ToolContext {
  /** The actor's login on the proxy. */
  login: ProxyLogin;
  /** application_name of the proxy sessions: `parapet-mcp/<MCP client name>`. */
  applicationName(): string;
  /** Rows kept per result set. */
  maxRows: number;
  /** The proxy's guard and policy, when this process has them (for `check` and column tags). */
  rules?: PolicyRules;
}

/** Tool inputs shared by several tools (each tool's object is strict: an unknown argument is refused, not ignored). */
export const sqlInput = z.string().min(1).max(1_000_000).describe('one SQL statement (PostgreSQL)');
export const paramsInput = z
  .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .max(1000)
  .optional()
  .describe('values for $1, $2, … in the statement, in order (pass JSON, arrays and dates as strings)');
export const reasonInput = z.string().max(500).optional().describe('why you run this statement, in a few words; it is recorded in the audit trail');

/** The structured form of a refusal, as tools report it. */
export const refusalOutput = z.object({
  by: z.enum(['parapet', 'database']),
  decision: z.enum(['deny', 'review']).optional(),
  rules: z.array(z.string()),
  sqlstate: z.string(),
  message: z.string(),
  detail: z.string().optional(),
  hint: z.string().optional(),
  position: z.number().optional(),
  /** The session itself was refused (or could not be opened), before any statement. */
  atConnect: z.boolean().optional(),
});

export function textResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A refused or failed statement (or session): a tool result with `isError`, never a protocol error. */
export async function refusalResult({ error, atConnect }: { error: ServerMessage; atConnect?: boolean }, sql: string): Promise<CallToolResult> {
  const refusal: Refusal = refusalOf(error);
  // The proxy names the analysis error but not where it is: the same analyser finds it here.
  if (refusal.position === undefined && refusal.rules.includes(EngineRule.analysis)) {
    const position = await syntaxErrorPosition(sql);
    if (position !== undefined) refusal.position = position;
  }
  const structured = atConnect ? { ...refusal, atConnect: true } : refusal;
  return { content: [{ type: 'text', text: refusalText(refusal, sql, atConnect) }], structuredContent: { error: structured }, isError: true };
}

/** Plain tool error, for problems that are not a statement's refusal (bad input, unavailable feature). */
export function errorResult(message: string, hint?: string): CallToolResult {
  return { content: [{ type: 'text', text: hint ? `${message}\nhint: ${hint}` : message }], isError: true };
}
