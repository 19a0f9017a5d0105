/**
 * Which audit store a command means. Precedence: `--audit PATH|URL`, then the `PARAPET_AUDIT`
 * environment variable, then the `audit` section of the config file (`--config FILE`, or
 * `./parapet.yaml` when present), then `.parapet/audit.db` in the working directory.
 * A value starting with `postgres://` or `postgresql://` names a PostgreSQL store.
 */
import { resolve } from 'node:path';
import { formatConfigIssue, loadConfig } from '../config/index.js';
import { AuditError } from './errors.js';
import { DEFAULT_AUDIT_PATH, type AuditConfig } from './index.js';

export interface LocateOptions {
  audit?: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const AUDIT_ENV = 'PARAPET_AUDIT';
export const AUDIT_KEY_ENV = 'PARAPET_AUDIT_KEY';

function fromValue(value: string, cwd: string): AuditConfig {
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) return { store: 'postgres', url: value };
  return { store: 'sqlite', path: resolve(cwd, value) };
}

export function locateStore(options: LocateOptions = {}): AuditConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const key = env[AUDIT_KEY_ENV] ? { hmacKey: env[AUDIT_KEY_ENV] } : {};
  if (options.audit) return { ...fromValue(options.audit, cwd), ...key };
  if (env[AUDIT_ENV]) return { ...fromValue(env[AUDIT_ENV], cwd), ...key };
  const loaded = loadConfig({ ...(options.config ? { flags: { config: options.config } } : {}), env, cwd });
  if (!loaded.ok) {
    throw new AuditError('bad-config', loaded.issues.map(formatConfigIssue).join('\n'));
  }
  const audit = loaded.config.audit;
  // The environment key wins over the file's, as for every other command.
  return { ...audit, ...key, ...(audit.store === 'sqlite' ? { path: resolve(cwd, audit.path ?? DEFAULT_AUDIT_PATH) } : {}) } as AuditConfig;
}
