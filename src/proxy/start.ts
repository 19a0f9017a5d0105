/**
 * Starts Parapet's proxy from a configuration: loads the policy and the actor secrets, opens the
 * audit trail, checks the upstream role (or starts the embedded database), and listens. Shared by
 * `parapet serve` and the test harness, so both run exactly the same wiring.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { openAudit, type AuditConfig, type AuditTrail } from '../audit/index.js';
import { upstreamNamespace } from '../config/lineage-config.js';
import type { ParapetConfig } from '../config/types.js';
import { formatHostPort } from '../config/units.js';
import { startEmbedded, type EmbeddedDatabase } from '../embedded/index.js';
import { sampleFiles, packageFile } from '../embedded/package-root.js';
import { welcomeText } from '../embedded/welcome.js';
import { createGuard } from '../guard/index.js';
import { formatIssue } from '../policy/errors.js';
import { loadPolicy } from '../policy/load-policy.js';
import { loadSecrets } from '../policy/secrets.js';
import { createVerifier, parseVerifier, type ScramVerifier } from '../protocol/scram.js';
import { connectUpstream } from '../upstream/connect.js';
import { checkUpstreamRole } from '../upstream/role-check.js';
import { TlsError, loadServerTls, type ServerTls } from '../tls/index.js';
import type { CheckResult } from '../metrics/index.js';
import type { Policy } from '../policy/policy.js';
import type { ReloadResult, Rules } from './live-rules.js';
import { Operations } from './operations.js';
import type { CredentialsPort, ProxyLog } from './ports.js';
import { startProxyServer, type ProxyServer } from './server.js';
import { checkUpstream } from './upstream-check.js';
import { liveGuards, type LiveGuardsPort } from './live-guards.js';
import { embeddedGuards } from './embedded-guards.js';
import { GUARDED_CAPABILITIES } from './catalog-guards.js';
import { directProvider, embeddedProvider, parseUpstreamUrl, type UpstreamTarget } from './upstream-provider.js';

/** A startup failure with a message for the operator (exit code 2 for configuration problems). */
export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export interface StartOptions {
  config: ParapetConfig;
  log: ProxyLog;
  env?: NodeJS.ProcessEnv;
  /** Prometheus registry for the proxy's metrics; a new one when absent. */
  registry?: Registry;
}

export interface RunningProxy {
  server: ProxyServer;
  /** The audit trail the proxy writes (other doors in the same process may share it). */
  audit: AuditTrail;
  /** The one line printed when ready: `parapet: ready — postgres://<actor>@host:port/<db>`. */
  readyLine: string;
  /** For the embedded default: how to connect as each sample actor and what to try. */
  welcome?: string;
  /** A URL a client can use, for an actor (and password). */
  url(actor: string, password?: string, database?: string): string;
  /** Metrics, limits, lifecycles and reload (src/proxy/operations.ts). */
  operations: Operations;
  /** Loads the policy and secrets files again (SIGHUP); on errors the running ones stay. */
  reload(): ReloadResult;
  /** Stops; with `graceMs`, running statements get that long to finish first. Flushes the audit. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export async function startProxy(options: StartOptions): Promise<RunningProxy> {
  const { config, log } = options;
  const env = options.env ?? process.env;
  const embedded = config.upstream === undefined;
  const files = embedded ? sampleFiles() : { policy: packageFile('policies', 'default.yaml'), secrets: undefined };
  const policyFile = config.policy ?? files.policy;
  const secretsFile = config.secrets ?? files.secrets;

  // Loaded at start and again on reload; a problem throws a StartError naming where it is.
  const loadRules = (): Rules & { policy: Policy } => {
    const loaded = loadPolicy(readText(policyFile, 'policy'), { file: policyFile });
    if (!loaded.ok) throw new StartError(loaded.issues.map(formatIssue).join('\n'));
    for (const warning of loaded.warnings) log.warn(formatIssue(warning));
    const policy = loaded.policy;
    const credentials = loadCredentials(secretsFile, env, new Set(policy.actors.keys()), log);
    const guard = createGuard({ policy, ...(config.environment ? { environment: config.environment } : {}) });
    return { policy, guard, credentials, source: policyFile };
  };
  const rules = loadRules();
  const { policy } = rules;
  // The live guards build each session's guard from the policy in force when it connects.
  let currentPolicy = policy;
  const reloadRules = (): Rules & { policy: Policy } => {
    const next = loadRules();
    currentPolicy = next.policy;
    return next;
  };
  const ops = new Operations({ config, log, rules, loadRules: reloadRules, ...(options.registry ? { registry: options.registry } : {}) });
  const tls = loadTls(config, log);

  let audit: AuditTrail;
  try {
    audit = await openAudit(auditWithLineage(config));
  } catch (error) {
    throw new StartError(`cannot open the audit trail: ${(error as Error).message}`);
  }

  let database: EmbeddedDatabase | undefined;
  let server: ProxyServer;
  const observed = ops.audit(audit);
  try {
    let upstream;
    let upstreamReady: () => Promise<CheckResult>;
    let defaultDatabase: string;
    let guards: LiveGuardsPort | undefined;
    const guardOptions = {
      policy: () => currentPolicy,
      ...(config.masking ? { maskKey: config.masking.hashKey } : {}),
      ...(config.environment ? { environment: config.environment } : {}),
    };
    if (config.upstream) {
      const target = parseUpstreamUrl(config.upstream.url);
      if (config.upstream.password !== undefined) target.password = config.upstream.password;
      await checkRoles(target, config, log);
      upstream = directProvider({ target, credentials: config.upstream.credentials, connectTimeoutMs: config.upstream.connectTimeoutMs });
      if (!config.masking) {
        log.warn('WARNING: no `masking.hashKey` or `masking.hashKeyFile` is set: the `hash` mask style uses a random key for this process, so its hashes change at every restart and differ between instances');
      }
      guards = liveGuards({
        ...guardOptions,
        open: (db) => connectUpstream(catalogLogin(target, db, config.upstream!.connectTimeoutMs)),
      });
      const connectTimeoutMs = config.upstream.connectTimeoutMs;
      upstreamReady = () => checkUpstream(target, connectTimeoutMs);
      defaultDatabase = target.database;
    } else {
      database = await startEmbedded({ ...(config.embeddedDataDir ? { dataDir: config.embeddedDataDir } : {}), log: (line) => log.info(line) });
      const target: UpstreamTarget = { host: database.host, port: database.port, user: database.user, database: database.database };
      upstream = embeddedProvider({ target, connectTimeoutMs: 10_000, waitMs: config.limits.upstreamWaitMs });
      // The catalog reads on the client's own session: PGlite has no session to spare for it.
      guards = embeddedGuards(guardOptions);
      // The embedded database serves one session at a time: a probe login would take a client's turn.
      upstreamReady = async () => ({ ok: true, detail: 'the embedded database runs in this process' });
      defaultDatabase = database.database;
    }
    server = await startProxyServer({
      listen: config.listen,
      guard: ops.guard,
      decorateGuard: (guard) => ops.decorate(guard),
      audit: observed.port,
      credentials: ops.credentials,
      upstream: ops.upstream(upstream),
      log,
      limits: config.limits,
      tls,
      lifecycle: ops.lifecycle,
      ...(guards ? { liveGuards: guards } : {}),
    });
    try {
      await ops.serve(server, audit, observed.health, upstreamReady);
    } catch (error) {
      await server.close();
      throw new StartError(`cannot serve metrics on ${config.metrics ? formatHostPort(config.metrics.listen) : '?'}: ${(error as Error).message}`);
    }
    const firstActor = [...policy.actors.keys()][0] ?? 'actor';
    const url = (actor: string, password?: string, db = defaultDatabase): string => {
      const auth = password === undefined ? encodeURIComponent(actor) : `${encodeURIComponent(actor)}:${encodeURIComponent(password)}`;
      return `postgres://${auth}@${formatHostPort(displayAddress(server.address))}/${encodeURIComponent(db)}`;
    };
    const running: RunningProxy = {
      server,
      audit,
      readyLine: `parapet: ready — ${url(embedded ? 'alice' : firstActor)} (policy ${policyFile})`,
      url,
      operations: ops,
      reload: () => ops.reload(),
      async stop({ graceMs = 0 } = {}) {
        ops.stopping();
        await server.close({ graceMs });
        guards?.close();
        await audit.close();
        await ops.close();
        await database?.stop();
      },
    };
    if (database) {
      running.welcome = welcomeText({ host: server.address.host, port: server.address.port, database: database.database, dataDir: database.dataDir, policyFile, capabilities: { readOnly: true, ...GUARDED_CAPABILITIES } });
    }
    return running;
  } catch (error) {
    await audit.close().catch(() => {});
    await database?.stop().catch(() => {});
    throw error;
  }
}

/** The client-facing TLS settings, read and checked now: an unusable certificate stops the start. */
function loadTls(config: ParapetConfig, log: ProxyLog): ServerTls | undefined {
  let tls: ServerTls | undefined;
  try {
    tls = loadServerTls(config.tls);
  } catch (error) {
    if (!(error instanceof TlsError)) throw error;
    throw new StartError(error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message);
  }
  if (tls) log.info(tls.summary);
  for (const warning of tls?.warnings ?? []) log.warn(`WARNING: ${warning}`);
  return tls;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartError(`cannot read the ${what} file \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Actor secrets as SCRAM verifiers (passwords are turned into verifiers once, at start). */
function loadCredentials(file: string | undefined, env: NodeJS.ProcessEnv, actors: ReadonlySet<string>, log: ProxyLog): CredentialsPort {
  const verifiers = new Map<string, ScramVerifier>();
  if (file === undefined) {
    log.warn('no secrets file is configured: no actor can log in (set `secrets` in the config or pass --secrets)');
    return { verifier: () => undefined };
  }
  const loaded = loadSecrets(readText(file, 'secrets'), { file, env, actors });
  if (!loaded.ok) throw new StartError(loaded.issues.map(formatIssue).join('\n'));
  for (const warning of loaded.warnings) log.warn(formatIssue(warning));
  for (const [actor, secret] of loaded.secrets) {
    const text = secret.verifier ?? (secret.password !== undefined ? createVerifier(secret.password) : undefined);
    if (text) verifiers.set(actor, parseVerifier(text));
  }
  return { verifier: (actor) => verifiers.get(actor) };
}

/**
 * Logs in with each configured upstream credential and checks what the role may do. Risky roles
 * are warned about loudly or refused, per `upstream.onRiskyRole`. An unreachable upstream is only
 * a warning: sessions get a clear error until it is back.
 */
async function checkRoles(target: UpstreamTarget, config: ParapetConfig, log: ProxyLog): Promise<void> {
  const upstream = config.upstream!;
  const logins = [{ user: target.user, ...(target.password !== undefined ? { password: target.password } : {}) }, ...upstream.credentials.map((c) => (c.password !== undefined ? { user: c.user, password: c.password } : { user: c.user }))];
  const seen = new Set<string>();
  for (const login of logins) {
    if (seen.has(login.user)) continue;
    seen.add(login.user);
    let risks: string[];
    try {
      const conn = await connectUpstream({
        host: target.host,
        port: target.port,
        user: login.user,
        ...(login.password !== undefined ? { password: login.password } : {}),
        database: target.database,
        applicationName: 'parapet role check',
        connectTimeoutMs: upstream.connectTimeoutMs,
        ...(target.socketPath ? { socketPath: target.socketPath } : {}),
        ...(target.tls ? { tls: target.tls } : {}),
        ...(target.channelBinding ? { channelBinding: target.channelBinding } : {}),
      });
      try {
        risks = (await checkUpstreamRole(conn)).risks;
      } finally {
        conn.close();
      }
    } catch (error) {
      log.warn(`upstream ${target.host}:${target.port} as \`${login.user}\`: ${(error as Error).message}; sessions will fail until it is reachable`);
      continue;
    }
    if (risks.length === 0) continue;
    const text = `the upstream role \`${login.user}\` holds ${risks.join(', ')}: with it a statement could reach around parapet's checks (server files, programs, row security, new roles)`;
    if (upstream.onRiskyRole === 'refuse') throw new StartError(`${text}\n  hint: connect parapet with a role that holds none of these, or set upstream.onRiskyRole: warn`);
    log.warn(`WARNING: ${text}; use a less privileged role (upstream.onRiskyRole: refuse makes this an error)`);
  }
}

/** Parapet's own login for a database's live catalog (the upstream URL's role). */
function catalogLogin(target: UpstreamTarget, database: string, connectTimeoutMs: number): Parameters<typeof connectUpstream>[0] {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    ...(target.password !== undefined ? { password: target.password } : {}),
    database,
    applicationName: 'parapet catalog',
    connectTimeoutMs,
    ...(target.socketPath ? { socketPath: target.socketPath } : {}),
    ...(target.tls ? { tls: target.tls } : {}),
    ...(target.channelBinding ? { channelBinding: target.channelBinding } : {}),
  };
}

function displayAddress(address: { host: string; port: number }): { host: string; port: number } {
  return ['0.0.0.0', '::', ''].includes(address.host) ? { host: '127.0.0.1', port: address.port } : address;
}

/** The audit settings with lineage attached; datasets are named after the upstream server by default. */
function auditWithLineage(config: ParapetConfig): AuditConfig {
  if (!config.lineage) return config.audit;
  let namespace = config.lineage.namespace;
  if (namespace === undefined && config.upstream) {
    const target = parseUpstreamUrl(config.upstream.url);
    namespace = upstreamNamespace(target.host, target.port);
  }
  return { ...config.audit, lineage: { ...config.lineage, ...(namespace !== undefined ? { namespace } : {}) } };
}
