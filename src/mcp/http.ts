/**
 * MCP over streamable HTTP (`parapet mcp --http HOST:PORT`), endpoint `/mcp`. Every request must
 * pass the checks of `http-checks.ts` and carry a bearer token; the token names the actor, and the
 * MCP session it opens belongs to that token: a request for the session with another token is
 * refused. Sessions idle for longer than `idleMs` are closed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { HostPort } from '../config/types.js';
import { McpSetupError } from './errors.js';
import { bearerToken, hostAllowed, isLoopback, originAllowed, ownOrigins } from './http-checks.js';
import type { PolicyRules } from './policy-source.js';
import type { ProxyLogin } from './proxy-client.js';
import { createMcpServer } from './server.js';
import type { TokenActor, TokenTable } from './tokens.js';

export interface McpHttpOptions {
  listen: HostPort;
  /** Bind a non-loopback address (the operator's explicit choice). */
  allowRemote: boolean;
  /** Browser origins allowed besides the server's own. */
  allowedOrigins: readonly string[];
  tokens: TokenTable;
  /** Where the proxy listens; the token's actor and password complete the login. */
  proxy: Omit<ProxyLogin, 'user' | 'password'>;
  maxRows: number;
  rules?: PolicyRules;
  /** Milliseconds of inactivity after which a session is closed; default 30 minutes. */
  idleMs?: number;
  log: (line: string) => void;
}

export interface McpHttpServer {
  /** Where it listens (the real port when 0 was asked for). */
  address: HostPort;
  /** `http://host:port/mcp` */
  url: string;
  close(): Promise<void>;
}

const ENDPOINT = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface Session {
  transport: StreamableHTTPServerTransport;
  owner: TokenActor;
  lastUsed: number;
}

/** Refuses an address other machines can reach unless remote access was asked for. */
export function checkListen(listen: HostPort, allowRemote: boolean): void {
  if (isLoopback(listen.host) || allowRemote) return;
  throw new McpSetupError(
    'MCP_LISTEN',
    `\`${listen.host}\` is not a loopback address: the MCP server would be reachable from other machines`,
    'listen on 127.0.0.1, or pass --allow-remote (and put a TLS-terminating proxy in front: tokens travel in the clear)',
  );
}

export async function startMcpHttp(options: McpHttpOptions): Promise<McpHttpServer> {
  checkListen(options.listen, options.allowRemote);
  const sessions = new Map<string, Session>();
  let address = options.listen;
  let allowed: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== ENDPOINT) return reply(res, 404, `not found: the MCP endpoint is ${ENDPOINT}`);
    if (!hostAllowed(req.headers.host, address)) return reply(res, 403, 'forbidden: this server answers only to a loopback host name');
    if (!originAllowed(req.headers.origin, allowed)) return reply(res, 403, `forbidden: origin \`${req.headers.origin}\` is not allowed`);
    const token = bearerToken(req.headers.authorization);
    const owner = token === undefined ? undefined : options.tokens.lookup(token);
    if (!owner) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="parapet-mcp"');
      return reply(res, 401, token === undefined ? 'unauthorized: send `Authorization: Bearer <token>`' : 'unauthorized: the token is not valid');
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(res, 404, 'session not found: start a new one with an initialize request');
      if (session.owner !== owner) return reply(res, 403, 'forbidden: this session belongs to another token');
      session.lastUsed = Date.now();
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return jsonRpcError(res, 400, 'no session: start one with an initialize request (POST)');
    const body = await readJson(req);
    if (!body.ok) return jsonRpcError(res, body.status, body.message, -32700);
    if (!isInitializeRequest(body.value)) return jsonRpcError(res, 400, 'no session: the first request must be initialize');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, owner, lastUsed: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = createMcpServer({
      login: { ...options.proxy, user: owner.actor, ...(owner.password !== undefined ? { password: owner.password } : {}) },
      maxRows: options.maxRows,
      ...(options.rules ? { rules: options.rules } : {}),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body.value);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`http: ${(error as Error).message}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(new McpSetupError('MCP_LISTEN', `cannot listen on ${options.listen.host}:${options.listen.port}: ${error.code ?? error.message}`)),
    );
    http.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const bound = http.address();
  address = typeof bound === 'object' && bound ? { host: options.listen.host, port: bound.port } : options.listen;
  allowed = [...ownOrigins(address), ...options.allowedOrigins];

  const idleMs = options.idleMs ?? 30 * 60_000;
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const session of sessions.values()) if (now - session.lastUsed > idleMs) void session.transport.close();
  }, Math.min(idleMs, 60_000));
  sweeper.unref();

  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    address,
    url: `http://${host}:${address.port}${ENDPOINT}`,
    async close() {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => {})));
      http.closeAllConnections();
      await closed;
    },
  };
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
}

function jsonRpcError(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: `request body larger than ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'parse error: the body is not JSON' };
  }
}
