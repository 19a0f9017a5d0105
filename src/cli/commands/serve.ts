/**
 * `parapet serve`: the PostgreSQL wire-protocol proxy. With no upstream configured it starts the
 * embedded sample database and prints how to connect. Exit 2 on configuration errors.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, DEFAULT_LIMITS, DEFAULT_LISTEN, UPSTREAM_URL_ENV, formatConfigIssue, loadConfig, type ConfigFlags } from '../../config/index.js';
import type { ProxyLog } from '../../proxy/ports.js';
import { serveUntilStopped } from '../../proxy/signals.js';
import { StartError, startProxy } from '../../proxy/start.js';
import { tuneV8ForServe } from '../v8-tuning.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the PostgreSQL proxy: clients connect to parapet as if it were PostgreSQL, and every statement is decided by policy before it reaches the database')
    .option('-c, --config <file>', `configuration file (default: ./${DEFAULT_CONFIG_FILE} when present)`)
    .option('--upstream <url>', `upstream PostgreSQL URL, postgres://user:password@host:port/database (else the config's upstream.url, else $${UPSTREAM_URL_ENV}, else the embedded sample database)`)
    .option('--listen <host:port>', `address to listen on (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port})`)
    .option('--policy <file>', 'policy file (default: the shipped default policy, or the sample policy with the embedded database)')
    .option('--secrets <file>', 'actor secrets file (SCRAM verifiers or env: references)')
    .option('--audit <path>', 'SQLite file of the audit trail (default .parapet/audit.db)')
    .option('--tls-cert <file>', 'server certificate (PEM) for TLS toward clients; with --tls-key turns TLS on (mode allowed unless the config says otherwise)')
    .option('--tls-key <file>', 'private key (PEM, unencrypted) of --tls-cert')
    .option('--tls-mode <mode>', 'TLS toward clients: disabled, allowed (TLS or plaintext) or required (plaintext refused)')
    .option('--metrics <host:port>', 'serve Prometheus metrics (/metrics) and health (/healthz, /readyz) over HTTP on this address, e.g. 127.0.0.1:9187')
    .action(async (flags: ConfigFlags) => {
      process.exitCode = await serve(flags);
    });
}

const log: ProxyLog = {
  info: (message) => process.stderr.write(`parapet: ${message}\n`),
  warn: (message) => process.stderr.write(`parapet: ${message}\n`),
  error: (message) => process.stderr.write(`parapet: error: ${message}\n`),
};

async function serve(flags: ConfigFlags): Promise<number> {
  const loaded = loadConfig({ flags });
  if (!loaded.ok) {
    process.stderr.write(`${loaded.issues.map(formatConfigIssue).join('\n')}\n`);
    return 2;
  }
  // Not for the embedded database: PGlite is PostgreSQL compiled to WASM, and would run slower.
  if (loaded.config.upstream !== undefined) tuneV8ForServe();
  let running;
  try {
    running = await startProxy({ config: loaded.config, log });
  } catch (error) {
    const exit = error instanceof StartError ? error.exitCode : 1;
    process.stderr.write(`parapet: cannot start: ${(error as Error).message}\n`);
    return exit;
  }
  if (running.welcome) process.stdout.write(`\n${running.welcome}\n`);
  process.stdout.write(`${running.readyLine}\n`);
  // SIGHUP reloads the policy; SIGTERM / SIGINT drain and stop (src/proxy/signals.ts).
  await serveUntilStopped(running, { log, graceMs: loaded.config.limits.shutdownTimeoutMs ?? DEFAULT_LIMITS.shutdownTimeoutMs ?? 0 });
  return 0;
}
