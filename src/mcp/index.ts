/** The MCP server for AI agents: Parapet as an agent's database tool, every statement through a proxy. */
export { embeddedBackend, loginFromUrl, remoteBackend, type McpBackend } from './backend.js';
export { DEFAULT_MAX_ROWS, EMBEDDED_ACTOR, PROXY_URL_ENV, TOKENS_ENV } from './defaults.js';
export { McpSetupError, type McpSetupErrorCode } from './errors.js';
export { checkListen, startMcpHttp, type McpHttpOptions, type McpHttpServer } from './http.js';
export { serveStdio, type McpStdioOptions } from './stdio.js';
export { applicationName, createMcpServer, type McpServerOptions } from './server.js';
export { generatedToken, loadTokens, type TokenActor, type TokenTable } from './tokens.js';
