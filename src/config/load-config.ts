/**
 * Builds the effective `ParapetConfig` from the config file (validated, located errors, unknown keys
 * rejected), the environment and the command-line flags. Precedence: flag > file > environment.
 */
import { readLineageSection } from './lineage-config.js';
import { readMaskingSection } from './masking-config.js';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ActorKind } from '../policy/types.js';
import { DEFAULT_AUDIT_PATH, DEFAULT_CONFIG_FILE, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_LIMITS, DEFAULT_LISTEN, UPSTREAM_URL_ENV } from './defaults.js';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './errors.js';
import { Located, YamlSource } from './located-yaml.js';
import { readTlsSection, resolveTls, type TlsFlags, type TlsSection } from './tls-config.js';
import { OPERATION_LIMIT_KEYS, readMetricsSection, readOperationLimits, resolveMetrics, type MetricsFlags } from './operations-config.js';
import type { AuditSettings, Limits, MetricsConfig, ParapetConfig, UpstreamConfig, UpstreamCredential } from './types.js';
import { parseDuration, parseHostPort, parseSize } from './units.js';

/** Values given on the command line; each overrides the file. */
export interface ConfigFlags extends TlsFlags, MetricsFlags {
  config?: string;
  listen?: string;
  upstream?: string;
  policy?: string;
  secrets?: string;
  audit?: string;
}

export interface LoadConfigOptions {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  /** Folder that relative flag paths and the default `parapet.yaml` are resolved against. */
  cwd?: string;
}

export type ConfigResult = { ok: true; config: ParapetConfig } | { ok: false; issues: ConfigIssue[] };

const TOP_KEYS = ['listen', 'upstream', 'policy', 'secrets', 'audit', 'environment', 'limits', 'embedded', 'tls', 'metrics', 'lineage', 'masking'] as const;
const UPSTREAM_KEYS = ['url', 'password', 'credentials', 'onRiskyRole', 'connectTimeout'] as const;
const CREDENTIAL_KEYS = ['groups', 'kinds', 'actors', 'user', 'password'] as const;
const AUDIT_KEYS = ['store', 'path', 'synchronous', 'redact', 'hmacKey', 'url', 'schema'] as const;
const LIMIT_KEYS = ['maxMessageBytes', 'authTimeout', 'upstreamWait', 'maxConnections', 'maxPendingMessages', ...OPERATION_LIMIT_KEYS] as const;
const EMBEDDED_KEYS = ['dataDir'] as const;
const ACTOR_KINDS: readonly ActorKind[] = ['human', 'agent', 'pipeline', 'service'];

/** Loads `--config FILE` (or `./parapet.yaml` when present) and applies environment and flags. */
export function loadConfig(options: LoadConfigOptions = {}): ConfigResult {
  const flags = options.flags ?? {};
  const cwd = options.cwd ?? process.cwd();
  let file: string | undefined;
  let text: string | undefined;
  if (flags.config !== undefined) {
    file = resolve(cwd, flags.config);
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      return { ok: false, issues: [{ code: ConfigErrorCode.read, file: flags.config, line: 0, column: 0, message: `cannot read the config file: ${reason}` }] };
    }
  } else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) {
    file = resolve(cwd, DEFAULT_CONFIG_FILE);
    text = readFileSync(file, 'utf8');
  }
  return buildConfig(text, file, { ...options, cwd });
}

/** Like `loadConfig` but throws a `ConfigError` carrying every issue. */
export function loadConfigOrThrow(options: LoadConfigOptions = {}): ParapetConfig {
  const result = loadConfig(options);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/** Validates config text (`file` names it in errors and anchors relative paths) and merges flags and environment. */
export function buildConfig(text: string | undefined, file: string | undefined, options: LoadConfigOptions = {}): ConfigResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const source = new YamlSource(file ?? '<config>', text ?? '');
  const base = file ? dirname(file) : cwd;
  const config: ParapetConfig = { listen: { ...DEFAULT_LISTEN }, audit: { store: 'sqlite', path: resolve(cwd, DEFAULT_AUDIT_PATH) }, limits: { ...DEFAULT_LIMITS } };
  if (file) config.file = file;
  const issues = source.issues;
  const secret = (node: Located, what: string): string | undefined => resolveSecret(node, what, env);

  const top = source.root.present ? source.root.mapping('the config file', TOP_KEYS) : undefined;
  let upstreamNode: Located | undefined;
  let tlsSection: TlsSection | undefined;
  let metricsSection: MetricsConfig | undefined;
  if (top) {
    const listen = top.get('listen');
    if (listen?.present) {
      const text = listen.string('`listen`');
      const parsed = text === undefined ? undefined : parseHostPort(text);
      if (text !== undefined && !parsed) listen.issue(ConfigErrorCode.invalidValue, `\`listen\` must be HOST:PORT, got \`${text}\``, 'for example 127.0.0.1:6543');
      if (parsed) config.listen = parsed;
    }
    for (const key of ['policy', 'secrets'] as const) {
      const node = top.get(key);
      const value = node?.present ? node.string(`\`${key}\``) : undefined;
      if (value !== undefined) config[key] = resolve(base, value);
    }
    const environment = top.get('environment');
    if (environment?.present) {
      const value = environment.string('`environment`');
      if (value !== undefined) config.environment = value;
    }
    const audit = top.get('audit');
    const settings = audit?.present ? readAudit(audit, base, secret) : undefined;
    if (settings) config.audit = settings;
    const limits = top.get('limits');
    if (limits?.present) readLimits(limits, config.limits);
    const embedded = top.get('embedded');
    if (embedded?.present) {
      const dataDir = embedded.mapping('`embedded`', EMBEDDED_KEYS)?.get('dataDir');
      const value = dataDir?.present ? dataDir.string('`embedded.dataDir`') : undefined;
      if (value !== undefined) config.embeddedDataDir = resolve(base, value);
    }
    upstreamNode = top.get('upstream');
    const tls = top.get('tls');
    if (tls?.present) tlsSection = readTlsSection(tls, base);
    const metrics = top.get('metrics');
    if (metrics?.present) metricsSection = readMetricsSection(metrics);
    const lineage = top.get('lineage');
    const lineageSettings = lineage?.present ? readLineageSection(lineage, base, secret) : undefined;
    if (lineageSettings) config.lineage = lineageSettings;
    const masking = top.get('masking');
    const maskingSettings = masking?.present ? readMaskingSection(masking, base, secret) : undefined;
    if (maskingSettings) config.masking = maskingSettings;
  }
  const upstream = upstreamNode?.present ? readUpstream(upstreamNode, secret) : undefined;

  // Flags and environment, each located by its own name.
  const flagIssue = (flag: string, message: string, hint?: string): void => {
    issues.push({ code: ConfigErrorCode.invalidValue, file: flag, line: 0, column: 0, message, ...(hint ? { hint } : {}) });
  };
  if (flags.listen !== undefined) {
    const parsed = parseHostPort(flags.listen);
    if (parsed) config.listen = parsed;
    else flagIssue('--listen', `expected HOST:PORT, got \`${flags.listen}\``, 'for example 127.0.0.1:6543');
  }
  if (flags.policy !== undefined) config.policy = resolve(cwd, flags.policy);
  if (flags.secrets !== undefined) config.secrets = resolve(cwd, flags.secrets);
  const tls = resolveTls(tlsSection, flags, cwd, issues);
  if (tls) config.tls = tls;
  const metrics = resolveMetrics(metricsSection, flags, issues);
  if (metrics) config.metrics = metrics;
  if (flags.audit !== undefined) config.audit = { ...config.audit, store: 'sqlite', path: resolve(cwd, flags.audit) } as AuditSettings;

  const url = flags.upstream ?? upstream?.url ?? env[UPSTREAM_URL_ENV];
  if (url !== undefined && url !== '') {
    const origin = flags.upstream !== undefined ? '--upstream' : upstream?.url !== undefined ? undefined : `$${UPSTREAM_URL_ENV}`;
    if (!/^postgres(ql)?:\/\//.test(url)) {
      if (origin) flagIssue(origin, 'the upstream must be a `postgres://` URL');
      else upstreamNode?.issue(ConfigErrorCode.invalidValue, '`upstream.url` must be a `postgres://` URL');
    } else {
      config.upstream = {
        credentials: [],
        onRiskyRole: 'warn',
        connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
        ...upstream,
        url,
      };
    }
  } else if (upstream && upstreamNode) {
    upstreamNode.issue(ConfigErrorCode.missingKey, '`upstream` needs a `url`', `or set $${UPSTREAM_URL_ENV} or pass --upstream`);
  }

  return issues.length > 0 ? { ok: false, issues } : { ok: true, config };
}

/** A password value: `env:VAR` reads the environment; any other string is taken literally. */
function resolveSecret(node: Located, what: string, env: NodeJS.ProcessEnv): string | undefined {
  const text = node.string(what);
  if (text === undefined || !text.startsWith('env:')) return text;
  const name = text.slice(4);
  const value = env[name];
  if (value === undefined) {
    node.issue(ConfigErrorCode.missingEnv, `${what} refers to \`${name}\`, which is not set`, `export ${name} before starting parapet`);
  }
  return value;
}

function readUpstream(node: Located, secret: (node: Located, what: string) => string | undefined): Partial<UpstreamConfig> | undefined {
  const map = node.mapping('`upstream`', UPSTREAM_KEYS);
  if (!map) return undefined;
  const out: Partial<UpstreamConfig> = {};
  const url = map.get('url');
  if (url?.present) {
    const value = url.string('`upstream.url`');
    if (value !== undefined) out.url = value;
  }
  const password = map.get('password');
  if (password?.present) {
    const value = secret(password, '`upstream.password`');
    if (value !== undefined) out.password = value;
  }
  const risky = map.get('onRiskyRole');
  if (risky?.present) {
    const value = risky.oneOf('`upstream.onRiskyRole`', ['warn', 'refuse'] as const);
    if (value) out.onRiskyRole = value;
  }
  const timeout = map.get('connectTimeout');
  if (timeout?.present) {
    const value = parseDuration(timeout.scalar());
    if (value === undefined) timeout.issue(ConfigErrorCode.invalidValue, '`upstream.connectTimeout` must be a duration such as `10s`');
    else out.connectTimeoutMs = value;
  }
  const credentials = map.get('credentials');
  if (credentials?.present) out.credentials = readCredentials(credentials, secret);
  return out;
}

function readCredentials(node: Located, secret: (node: Located, what: string) => string | undefined): UpstreamCredential[] {
  const out: UpstreamCredential[] = [];
  for (const item of node.sequence('`upstream.credentials`') ?? []) {
    const map = item.mapping('an entry of `upstream.credentials`', CREDENTIAL_KEYS);
    if (!map) continue;
    const user = map.get('user');
    const userName = user?.present ? user.string('`user`') : undefined;
    if (!user?.present) item.issue(ConfigErrorCode.missingKey, 'an entry of `upstream.credentials` needs a `user`');
    if (userName === undefined) continue;
    const entry: UpstreamCredential = { user: userName };
    const groups = map.get('groups');
    if (groups?.present) entry.groups = groups.strings('`groups`') ?? [];
    const actors = map.get('actors');
    if (actors?.present) entry.actors = actors.strings('`actors`') ?? [];
    const kinds = map.get('kinds');
    if (kinds?.present) {
      const values = kinds.strings('`kinds`') ?? [];
      const bad = values.filter((k) => !(ACTOR_KINDS as readonly string[]).includes(k));
      if (bad.length > 0) kinds.issue(ConfigErrorCode.invalidValue, `unknown actor kind \`${bad[0]}\``, `expected one of: ${ACTOR_KINDS.join(', ')}`);
      entry.kinds = values.filter((k): k is ActorKind => (ACTOR_KINDS as readonly string[]).includes(k));
    }
    const password = map.get('password');
    if (password?.present) {
      const value = secret(password, '`password`');
      if (value !== undefined) entry.password = value;
    }
    out.push(entry);
  }
  return out;
}

function readAudit(node: Located, base: string, secret: (node: Located, what: string) => string | undefined): AuditSettings | undefined {
  const map = node.mapping('`audit`', AUDIT_KEYS);
  if (!map) return undefined;
  const text = (key: string): string | undefined => {
    const value = map.get(key);
    return value?.present ? value.string(`\`audit.${key}\``) : undefined;
  };
  const storeNode = map.get('store');
  const store = storeNode?.present ? storeNode.oneOf('`audit.store`', ['sqlite', 'postgres'] as const) : 'sqlite';
  if (!store) return undefined;
  const common: { redact?: 'literals' | 'none'; hmacKey?: string } = {};
  const redact = map.get('redact');
  if (redact?.present) {
    const value = redact.oneOf('`audit.redact`', ['literals', 'none'] as const);
    if (value) common.redact = value;
  }
  const key = map.get('hmacKey');
  if (key?.present) {
    const value = secret(key, '`audit.hmacKey`');
    if (value !== undefined) common.hmacKey = value;
  }
  const misplaced = (keys: string[], what: string): void => {
    for (const k of keys) map.get(k)?.issue(ConfigErrorCode.invalidValue, `\`audit.${k}\` does not apply to the ${what} store`);
  };
  if (store === 'postgres') {
    misplaced(['path', 'synchronous'], 'postgres');
    const url = map.get('url');
    const value = url?.present ? secret(url, '`audit.url`') : undefined;
    if (!url?.present) node.issue(ConfigErrorCode.missingKey, 'the postgres audit store needs `audit.url`');
    if (value === undefined) return undefined;
    const schema = text('schema');
    return { store, url: value, ...(schema ? { schema } : {}), ...common };
  }
  misplaced(['url', 'schema'], 'sqlite');
  const path = text('path');
  const sync = map.get('synchronous');
  const synchronous = sync?.present ? sync.oneOf('`audit.synchronous`', ['normal', 'full'] as const) : undefined;
  return { store, path: resolve(base, path ?? DEFAULT_AUDIT_PATH), ...(synchronous ? { synchronous } : {}), ...common };
}

function readLimits(node: Located, limits: Limits): void {
  const map = node.mapping('`limits`', LIMIT_KEYS);
  if (!map) return;
  readOperationLimits(map, limits);
  const set = (key: (typeof LIMIT_KEYS)[number], target: Exclude<keyof Limits, 'actors'>, parse: (v: unknown) => number | undefined, expected: string): void => {
    const value = map.get(key);
    if (!value?.present) return;
    const parsed = parse(value.scalar());
    if (parsed === undefined || parsed <= 0) value.issue(ConfigErrorCode.invalidValue, `\`limits.${key}\` must be ${expected}`);
    else limits[target] = parsed;
  };
  const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  set('maxMessageBytes', 'maxMessageBytes', parseSize, 'a size such as `64MiB`');
  set('authTimeout', 'authTimeoutMs', parseDuration, 'a duration such as `60s`');
  set('upstreamWait', 'upstreamWaitMs', parseDuration, 'a duration such as `30s`');
  set('maxConnections', 'maxConnections', count, 'a positive whole number');
  set('maxPendingMessages', 'maxPendingMessages', count, 'a positive whole number');
}
