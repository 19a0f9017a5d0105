/**
 * The `tls:` section (TLS toward clients) and the `--tls-*` flags. Paths are resolved here; the files
 * are read when the proxy starts (src/tls/server-tls.ts), so a bad certificate is a start error.
 */
import { resolve } from 'node:path';
import { ConfigErrorCode, type ConfigIssue } from './errors.js';
import type { Located } from './located-yaml.js';
import type { ClientCertificateConfig, TlsConfig, TlsMode } from './types.js';

const TLS_KEYS = ['mode', 'cert', 'key', 'clientCertificates'] as const;
const CLIENT_CERTIFICATE_KEYS = ['ca', 'identity', 'auth'] as const;
const MODES: readonly TlsMode[] = ['disabled', 'allowed', 'required'];

/** The flags that override the file's `tls` section. */
export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsMode?: string;
}

/** What the file says; `mode` absent means "allowed when a certificate is configured". */
export type TlsSection = Partial<TlsConfig> & { node: Located };

export function readTlsSection(node: Located, base: string): TlsSection | undefined {
  const map = node.mapping('`tls`', TLS_KEYS);
  if (!map) return undefined;
  const out: TlsSection = { node };
  const mode = map.get('mode');
  if (mode?.present) {
    const value = mode.oneOf('`tls.mode`', MODES);
    if (value) out.mode = value;
  }
  for (const key of ['cert', 'key'] as const) {
    const value = map.get(key);
    const text = value?.present ? value.string(`\`tls.${key}\``) : undefined;
    if (text !== undefined) out[key] = resolve(base, text);
  }
  const clients = map.get('clientCertificates');
  if (clients?.present) {
    const certificates = readClientCertificates(clients, base);
    if (certificates) out.clientCertificates = certificates;
  }
  return out;
}

function readClientCertificates(node: Located, base: string): ClientCertificateConfig | undefined {
  const map = node.mapping('`tls.clientCertificates`', CLIENT_CERTIFICATE_KEYS);
  if (!map) return undefined;
  const ca = map.get('ca');
  const caPath = ca?.present ? ca.string('`tls.clientCertificates.ca`') : undefined;
  if (!ca?.present) node.issue(ConfigErrorCode.missingKey, '`tls.clientCertificates` needs a `ca`', 'the CA file (PEM) that signs the client certificates');
  const identity = map.get('identity');
  const identityValue = identity?.present ? identity.oneOf('`tls.clientCertificates.identity`', ['cn'] as const) : 'cn';
  const auth = map.get('auth');
  const authValue = auth?.present ? auth.oneOf('`tls.clientCertificates.auth`', ['both', 'cert'] as const) : 'both';
  if (caPath === undefined || !identityValue || !authValue) return undefined;
  return { ca: resolve(base, caPath), identity: identityValue, auth: authValue };
}

/**
 * The effective TLS settings: flags over the file. Undefined when TLS is off (no section, no flags,
 * or `mode: disabled`). Reports an enabled mode without both certificate and key.
 */
export function resolveTls(section: TlsSection | undefined, flags: TlsFlags, cwd: string, issues: ConfigIssue[]): TlsConfig | undefined {
  const flagIssue = (flag: string, message: string, hint?: string): void => {
    issues.push({ code: ConfigErrorCode.invalidValue, file: flag, line: 0, column: 0, message, ...(hint ? { hint } : {}) });
  };
  const cert = flags.tlsCert !== undefined ? resolve(cwd, flags.tlsCert) : section?.cert;
  const key = flags.tlsKey !== undefined ? resolve(cwd, flags.tlsKey) : section?.key;
  let mode = section?.mode;
  if (flags.tlsMode !== undefined) {
    if ((MODES as readonly string[]).includes(flags.tlsMode)) mode = flags.tlsMode as TlsMode;
    else flagIssue('--tls-mode', `expected one of ${MODES.map((m) => `\`${m}\``).join(', ')}, got \`${flags.tlsMode}\``);
  }
  mode ??= cert !== undefined || key !== undefined ? 'allowed' : 'disabled';
  if (mode === 'disabled') {
    if (section?.clientCertificates) section.node.issue(ConfigErrorCode.invalidValue, '`tls.clientCertificates` needs TLS, but `tls.mode` is `disabled`');
    return undefined;
  }
  if (cert === undefined || key === undefined) {
    const missing = cert === undefined ? 'cert' : 'key';
    const message = `TLS mode \`${mode}\` needs a certificate and its key, but \`tls.${missing}\` is not set`;
    const hint = `set \`tls.${missing}\` in the config or pass --tls-${missing}`;
    if (section) section.node.issue(ConfigErrorCode.missingKey, message, hint);
    else flagIssue(flags.tlsMode !== undefined ? '--tls-mode' : `--tls-${missing === 'cert' ? 'key' : 'cert'}`, message, hint);
    return undefined;
  }
  return { mode, cert, key, ...(section?.clientCertificates ? { clientCertificates: section.clientCertificates } : {}) };
}
