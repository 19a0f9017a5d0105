/**
 * What `parapet mcp` does once its options are parsed: opens the backend (a remote proxy, or the
 * embedded default in this process) and serves MCP over stdio or streamable HTTP until SIGINT or
 * SIGTERM. Loaded by the command's action only, so other commands never load the MCP SDK.
 * Exit 2 on configuration errors, 1 when it cannot start otherwise.
 */
import { readFileSync } from 'node:fs';
import { formatConfigIssue, loadConfig, parseHostPort, type HostPort } from '../config/index.js';
import { EmbeddedError } from '../embedded/index.js';
import { checkListen, DEFAULT_MAX_ROWS, EMBEDDED_ACTOR, McpSetupError, PROXY_URL_ENV, TOKENS_ENV, embeddedBackend, generatedToken, loadTokens, remoteBackend, serveStdio, startMcpHttp, type McpBackend, type TokenTable } from '../mcp/index.js';
import { isLoopback, normaliseOrigin } from '../mcp/http-checks.js';
import type { ProxyLog } from '../proxy/ports.js';
import { StartError } from '../proxy/start.js';

/** The options of `parapet mcp`, as commander gives them. */
export interface McpFlags {
  url?: string;
  policy?: string;
  environment?: string;
  http?: string;
  allowRemote?: boolean;
  tokens?: string;
  allowOrigin?: string[];
  maxRows?: string;
  config?: string;
  actor?: string;
}

const log: ProxyLog = {
  info: (message) => process.stderr.write(`parapet: ${message}\n`),
  warn: (message) => process.stderr.write(`parapet: ${message}\n`),
  error: (message) => process.stderr.write(`parapet: error: ${message}\n`),
};

/** A usage or configuration problem: message (and hint) on stderr, exit 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface HttpSettings {
  listen: HostPort;
  allowedOrigins: string[];
}

/** Runs `parapet mcp` until stopped; the exit code. */
export async function runMcp(flags: McpFlags): Promise<number> {
  let backend: McpBackend | undefined;
  try {
    const maxRows = flags.maxRows === undefined ? DEFAULT_MAX_ROWS : Number(flags.maxRows);
    if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > 100_000) throw new UsageError(`--max-rows must be a whole number from 1 to 100000, got \`${flags.maxRows}\``);
    const http = flags.http !== undefined ? httpSettings(flags) : undefined;
    backend = await openBackend(flags);
    log.info(`mcp: the database is reached through ${backend.description}`);
    const stop = signalled();
    if (http) await serveHttp(flags, http, backend, maxRows, stop);
    else await serveStdioMode(backend, maxRows, stop);
    return 0;
  } catch (error) {
    return report(error);
  } finally {
    await backend?.stop().catch((error: unknown) => log.error(`shutdown: ${(error as Error).message}`));
  }
}

/** `--http` and `--allow-origin`, checked before anything starts. */
function httpSettings(flags: McpFlags): HttpSettings {
  const listen = parseHostPort(flags.http!);
  if (!listen) throw new UsageError(`--http must be HOST:PORT, got \`${flags.http}\``, 'for example 127.0.0.1:7432');
  checkListen(listen, flags.allowRemote === true);
  const allowedOrigins = (flags.allowOrigin ?? []).map((text) => {
    const origin = normaliseOrigin(text);
    if (!origin) throw new UsageError(`--allow-origin \`${text}\` is not an origin`, 'for example https://app.example.com');
    return origin;
  });
  return { listen, allowedOrigins };
}

async function openBackend(flags: McpFlags): Promise<McpBackend> {
  const url = flags.url ?? (process.env[PROXY_URL_ENV] || undefined);
  if (url !== undefined) {
    if (flags.config !== undefined || flags.actor !== undefined) throw new UsageError('--config and --actor apply to the embedded default only', `the actor is the one in ${flags.url !== undefined ? '--url' : `$${PROXY_URL_ENV}`}`);
    return remoteBackend(url, { ...(flags.policy ? { policyFile: flags.policy } : {}), ...(flags.environment ? { environment: flags.environment } : {}), source: flags.url !== undefined ? '--url' : `$${PROXY_URL_ENV}` });
  }
  if (flags.policy !== undefined) throw new UsageError('--policy is the remote proxy\'s policy and needs --url or $PARAPET_URL', 'the embedded default uses its sample policy, or the `policy` of its configuration');
  const loaded = loadConfig({ flags: flags.config !== undefined ? { config: flags.config } : {} });
  if (!loaded.ok) throw new UsageError(loaded.issues.map(formatConfigIssue).join('\n'));
  if (flags.environment) loaded.config.environment = flags.environment;
  return embeddedBackend(loaded.config, { ...(flags.actor ? { actor: flags.actor } : {}), log });
}

async function serveStdioMode(backend: McpBackend, maxRows: number, stop: Promise<void>): Promise<void> {
  if (!backend.login) throw new UsageError(`$${PROXY_URL_ENV} names no actor`, 'give the actor\'s credentials: postgres://actor:password@host:port/database');
  log.info(`mcp: serving over stdio as \`${backend.login.user}\``);
  await serveStdio({ login: backend.login, maxRows, ...(backend.rules ? { rules: backend.rules } : {}), stop });
}

async function serveHttp(flags: McpFlags, { listen, allowedOrigins }: HttpSettings, backend: McpBackend, maxRows: number, stop: Promise<void>): Promise<void> {
  const { table, generated } = tokenTable(flags, backend);
  const server = await startMcpHttp({
    listen,
    allowRemote: flags.allowRemote === true,
    allowedOrigins,
    tokens: table,
    proxy: backend.proxy,
    maxRows,
    ...(backend.rules ? { rules: backend.rules } : {}),
    log: (line) => log.warn(line),
  });
  if (!isLoopback(server.address.host)) log.warn('mcp: listening beyond loopback: bearer tokens travel in the clear unless a TLS-terminating proxy is in front');
  process.stdout.write(`parapet: mcp ready — ${server.url} (${table.size} token${table.size === 1 ? '' : 's'})\n`);
  if (generated) process.stdout.write(`token for \`${backend.login!.user}\` (this run only): ${generated}\n  send it as: Authorization: Bearer ${generated}\n`);
  await stop;
  log.info('shutting down');
  await server.close();
}

/** The tokens file; the embedded default without one gets a fresh token for its sample actor. */
function tokenTable(flags: McpFlags, backend: McpBackend): { table: TokenTable; generated?: string } {
  const file = flags.tokens ?? (process.env[TOKENS_ENV] || undefined);
  if (file === undefined) {
    if (backend.login && backend.kind === 'embedded') {
      const { token, table } = generatedToken({ actor: backend.login.user, ...(backend.login.password !== undefined ? { password: backend.login.password } : {}) });
      return { table, generated: token };
    }
    throw new UsageError('--http needs bearer tokens: pass --tokens FILE', `or set $${TOKENS_ENV}; the file maps each token to an actor and its password (docs/mcp.md)`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new McpSetupError('MCP_TOKENS', `cannot read the tokens file \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = loadTokens(text, file, process.env);
  if (!loaded.ok) throw new UsageError(loaded.issues.map(formatConfigIssue).join('\n'));
  return { table: loaded.table };
}

/** Resolves on the first SIGINT or SIGTERM. */
function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function report(error: unknown): number {
  const hinted = (message: string, hint?: string) => process.stderr.write(`parapet: cannot start: ${message}${hint ? `\n  hint: ${hint}` : ''}\n`);
  if (error instanceof UsageError) {
    hinted(error.message, error.hint);
    return 2;
  }
  if (error instanceof McpSetupError) {
    hinted(error.message, error.hint);
    return 2;
  }
  if (error instanceof EmbeddedError) {
    const hint = error.code === 'EMBEDDED_LOCKED' ? `${error.hint ?? ''}; or point parapet mcp at the proxy that holds it: ${PROXY_URL_ENV}=postgres://${EMBEDDED_ACTOR}:…@127.0.0.1:6543/postgres` : error.hint;
    hinted(`${error.message} (${error.code})`, hint);
    return 1;
  }
  if (error instanceof StartError) {
    hinted(error.message);
    return error.exitCode;
  }
  hinted((error as Error)?.message ?? String(error));
  return 1;
}
