/**
 * The operations endpoint, on its own port (never the proxy's): `GET /metrics` in Prometheus text
 * format, `GET /healthz` (liveness) and `GET /readyz` (readiness). Health answers 200 or 503 with
 * one line per check, so `curl` shows why.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { HostPort } from '../config/types.js';
import type { CheckResult } from './health.js';

/** Named checks; the endpoint is 200 when every one is ok. */
export type Checks = () => Promise<Record<string, CheckResult>>;

export interface MetricsServerOptions {
  listen: HostPort;
  registry: Registry;
  health: Checks;
  readiness: Checks;
  onError(message: string): void;
}

export interface MetricsServer {
  /** Where it listens (the real port when 0 was asked for). */
  address: HostPort;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    void answer(request, response, options).catch((error: unknown) => {
      options.onError(`metrics endpoint: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  server.on('error', (error) => options.onError(`metrics endpoint: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? { host: options.listen.host, port: bound.port } : options.listen;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics': {
      const body = await options.registry.metrics();
      response.writeHead(200, { 'content-type': options.registry.contentType }).end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    case '/healthz':
      return report(response, await options.health());
    case '/readyz':
      return report(response, await options.readiness());
    default:
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics, /healthz or /readyz\n');
  }
}

function report(response: ServerResponse, checks: Record<string, CheckResult>): void {
  const ok = Object.values(checks).every((c) => c.ok);
  const lines = Object.entries(checks).map(([name, c]) => `${name}: ${c.ok ? 'ok' : 'failing'} — ${c.detail}`);
  response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${ok ? 'ok' : 'unhealthy'}\n${lines.join('\n')}\n`);
}
