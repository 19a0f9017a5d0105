/**
 * The proxy with TLS toward clients, for the TLS tests: the same wiring as `parapet serve`
 * (src/proxy/start.ts) with a `tls` section, an upstream database, the proxy tests' policy and secrets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type TlsConfig } from '../../src/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/start.js';
import { SECRETS, TEST_POLICY } from '../proxy/fixtures.js';

export interface TlsProxy {
  port: number;
  logs: string[];
  running: RunningProxy;
  stop(): Promise<void>;
}

export async function startTlsProxy(upstreamUrl: string, tls: TlsConfig | undefined): Promise<TlsProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-tls-'));
  const logs: string[] = [];
  const policy = join(dir, 'policy.yaml');
  const secrets = join(dir, 'secrets.yaml');
  writeFileSync(policy, TEST_POLICY);
  writeFileSync(secrets, `actors:\n${Object.entries(SECRETS).map(([actor, pw]) => `  ${actor}: { plaintext: ${JSON.stringify(pw)} }`).join('\n')}\n`);
  const log = {
    info: (m: string) => logs.push(`info: ${m}`),
    warn: (m: string) => logs.push(`warn: ${m}`),
    error: (m: string) => logs.push(`error: ${m}`),
  };
  try {
    const running = await startProxy({
      config: {
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { url: upstreamUrl, credentials: [], onRiskyRole: 'warn', connectTimeoutMs: 5000 },
        policy,
        secrets,
        audit: { store: 'sqlite', path: join(dir, 'audit.db') },
        limits: { ...DEFAULT_LIMITS, authTimeoutMs: 10_000 },
        ...(tls ? { tls } : {}),
      },
      log,
    });
    return {
      port: running.server.address.port,
      logs,
      running,
      async stop() {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
