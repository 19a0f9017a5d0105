/**
 * The MCP server's defaults and environment names, on their own so the command line can describe
 * `parapet mcp` without loading the MCP SDK (which only `mcp` itself needs).
 */

/** Environment variable of the proxy URL (with the actor's credentials for stdio). */
export const PROXY_URL_ENV = 'PARAPET_URL';
/** The sample actor the embedded default logs in as. */
export const EMBEDDED_ACTOR = 'agent';
/** Rows per result when nothing else is configured. */
export const DEFAULT_MAX_ROWS = 100;
/** Environment variable naming the tokens file of `--http`. */
export const TOKENS_ENV = 'PARAPET_MCP_TOKENS';
