/** The MCP server for AI agents: Parapet as an agent's database tool, every statement through a proxy. */
export { embeddedBackend, loginFromUrl, remoteBackend, EMBEDDED_ACTOR, PROXY_URL_ENV, type McpBackend } from './backend.js';
export { McpSetupError, type McpSetupErrorCode } from './errors.js';
export { checkListen, startMcpHttp, type McpHttpOptions, type McpHttpServer } from './http.js';
export { serveStdio, type McpStdioOptions } from './stdio.js';
export { applicationName, createMcpServer, DEFAULT_MAX_ROWS, type McpServerOptions } from './server.js';
export { generatedToken, loadTokens, type TokenActor, type TokenTable } from './tokens.js';
