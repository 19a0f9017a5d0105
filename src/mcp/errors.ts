/** Errors of `parapet mcp`'s set-up, as typed values with stable codes (tool calls never throw these). */

export type McpSetupErrorCode =
  /** The proxy URL is missing a part or is not a `postgres://` URL. */
  | 'MCP_PROXY_URL'
  /** The policy file cannot be read or does not load. */
  | 'MCP_POLICY'
  /** The tokens file cannot be read or is invalid. */
  | 'MCP_TOKENS'
  /** The HTTP address is not loopback and `--allow-remote` was not given, or it cannot be bound. */
  | 'MCP_LISTEN'
  /** The embedded default cannot log in as the chosen actor. */
  | 'MCP_EMBEDDED_ACTOR'
  /** A configuration that would make this process hold upstream credentials. */
  | 'MCP_UPSTREAM_CONFIGURED';

export class McpSetupError extends Error {
  override readonly name = 'McpSetupError';
  constructor(
    readonly code: McpSetupErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
