/**
 * Where `parapet mcp` finds the database: always through a Parapet proxy. Either a running proxy
 * named by a URL (`PARAPET_URL`, the actor's own credentials in it), or — with nothing configured —
 * the embedded default, started in this process exactly as `parapet serve` starts it (the same
 * `startProxy`, listening on a loopback port of its own), logged in as its sample agent. This process
 * never holds upstream credentials: a configuration with an upstream is refused.
 */
import { readFileSync } from 'node:fs';
import type { ParapetConfig } from '../config/types.js';
import { sampleFiles } from '../embedded/package-root.js';
import { formatIssue } from '../policy/errors.js';
import { loadSecrets } from '../policy/secrets.js';
import type { ProxyLog } from '../proxy/ports.js';
import { startProxy } from '../proxy/start.js';
import { parseUpstreamUrl } from '../upstream/url.js';
import { EMBEDDED_ACTOR, PROXY_URL_ENV } from './defaults.js';
import { McpSetupError } from './errors.js';
import { rulesFromPolicyFile, type PolicyRules } from './policy-source.js';
import { pgSsl, type ProxyLogin } from './proxy-client.js';


export interface McpBackend {
  kind: 'remote' | 'embedded';
  /** Where the proxy listens, and the database. */
  proxy: Omit<ProxyLogin, 'user' | 'password'>;
  /** The login of stdio mode: the URL's actor, or the embedded default's sample actor. */
  login?: ProxyLogin;
  /** The proxy's guard and policy, when this process has them. */
  rules?: PolicyRules;
  /** For the start-up log. */
  description: string;
  stop(): Promise<void>;
}

/** A running proxy at `url`. `policyFile` is its policy, if the operator gives it (for check and tags). */
export function remoteBackend(url: string, options: { policyFile?: string; environment?: string; source?: string } = {}): McpBackend {
  const source = options.source ?? `$${PROXY_URL_ENV}`;
  const login = loginFromUrl(url, source);
  try {
    pgSsl(login.tls);
  } catch (error) {
    throw new McpSetupError('MCP_PROXY_URL', `${source}: cannot read a TLS file: ${(error as Error).message}`);
  }
  const { user: _user, password: _password, ...proxy } = login;
  const rules = options.policyFile !== undefined ? rulesFromPolicyFile(options.policyFile, options.environment) : undefined;
  return {
    kind: 'remote',
    proxy,
    ...(login.user !== '' ? { login } : {}),
    ...(rules ? { rules } : {}),
    description: `the parapet proxy at ${login.socketDir ?? `${login.host}:${login.port}`}/${login.database}`,
    stop: async () => {},
  };
}

/**
 * The embedded default in this process: `startProxy` with no upstream, on 127.0.0.1 and a free port.
 * A data directory another process holds fails with the embedded module's EMBEDDED_LOCKED error.
 */
export async function embeddedBackend(config: ParapetConfig, options: { actor?: string; log: ProxyLog; env?: NodeJS.ProcessEnv }): Promise<McpBackend> {
  if (config.upstream) {
    throw new McpSetupError(
      'MCP_UPSTREAM_CONFIGURED',
      'parapet mcp reaches the database only through a parapet proxy, and never holds upstream credentials itself',
      `run \`parapet serve\` with this configuration and set ${PROXY_URL_ENV} to an actor's URL on it (postgres://actor:password@127.0.0.1:6543/db)`,
    );
  }
  const env = options.env ?? process.env;
  const actor = options.actor ?? EMBEDDED_ACTOR;
  const files = sampleFiles();
  const { policy } = rulesFromPolicyFile(config.policy ?? files.policy, config.environment);
  if (!policy.actors.has(actor)) throw new McpSetupError('MCP_EMBEDDED_ACTOR', `actor \`${actor}\` is not in the policy \`${config.policy ?? files.policy}\``);
  const password = actorPassword(config.secrets ?? files.secrets, actor, env);
  const running = await startProxy({ config: { ...config, listen: { host: '127.0.0.1', port: 0 } }, log: options.log, env });
  const login = loginFromUrl(running.url(actor, password), 'the embedded proxy');
  const { user: _user, password: _password, ...proxy } = login;
  // `check` decides with the running proxy's own guard (pinned settings, reloads and all).
  return { kind: 'embedded', proxy, login, rules: { guard: running.operations.guard, policy }, description: `the embedded default (in-process proxy on ${login.host}:${login.port})`, stop: () => running.stop() };
}

/** The actor's password from the secrets file: the embedded default must log in with it. */
function actorPassword(file: string, actor: string, env: NodeJS.ProcessEnv): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new McpSetupError('MCP_EMBEDDED_ACTOR', `cannot read the secrets file \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = loadSecrets(text, { file, env });
  if (!loaded.ok) throw new McpSetupError('MCP_EMBEDDED_ACTOR', loaded.issues.map(formatIssue).join('\n'));
  const password = loaded.secrets.get(actor)?.password;
  if (password === undefined) {
    throw new McpSetupError(
      'MCP_EMBEDDED_ACTOR',
      `the secrets file \`${file}\` holds no password for \`${actor}\` (a SCRAM verifier cannot be used to log in)`,
      `give \`${actor}\` an \`env:\` password there, or run \`parapet serve\` and set ${PROXY_URL_ENV} with the actor's password`,
    );
  }
  return password;
}

/**
 * The login of a proxy URL. The user may be left out (HTTP mode: each token names its actor), so a
 * URL without `user@` is read with a placeholder user that is then dropped.
 */
export function loginFromUrl(url: string, source: string): ProxyLogin {
  const anonymous = /^postgres(?:ql)?:\/\/[^/?#@]*(?:[/?#]|$)/i.test(url);
  let parsed;
  try {
    parsed = parseUpstreamUrl(anonymous ? url.replace(/^(postgres(?:ql)?:\/\/)/i, `$1${PLACEHOLDER_USER}@`) : url);
  } catch (error) {
    throw new McpSetupError('MCP_PROXY_URL', `${source}: ${(error as Error).message.replace(/^upstream URL/, 'the proxy URL')}`, 'for example postgres://agent:password@127.0.0.1:6543/app');
  }
  const placeholder = parsed.user === PLACEHOLDER_USER;
  return {
    host: parsed.host,
    port: parsed.port,
    // libpq's default database is the user's name; without a user, PostgreSQL's default database.
    database: placeholder && parsed.database === PLACEHOLDER_USER ? 'postgres' : parsed.database,
    user: placeholder ? '' : parsed.user,
    ...(parsed.password !== undefined ? { password: parsed.password } : {}),
    ...(parsed.socketPath ? { socketDir: parsed.host } : {}),
    ...(parsed.options !== undefined ? { options: parsed.options } : {}),
    ...(parsed.tls ? { tls: parsed.tls } : {}),
  };
}

const PLACEHOLDER_USER = 'parapet-mcp-no-user';
