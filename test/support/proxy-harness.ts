/**
 * Runs Parapet's proxy in-process for tests, with the same wiring as `parapet serve`
 * (`src/proxy/start.ts`): a policy and secrets given as text, a throwaway audit file, a free port.
 *
 *     const db = await createUpstream();               // database + non-superuser role, dropped after
 *     const proxy = await startProxy({ upstreamUrl: db.url, policyYaml, secrets: { alice: 'pw' } });
 *     const client = new pg.Client(proxy.url('alice', 'pw'));
 *     …
 *     await proxy.stop(); await db.drop();
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Limits, type ParapetConfig, type UpstreamCredential } from '../../src/config/index.js';
import { startProxy as start, type RunningProxy } from '../../src/proxy/start.js';
import type { AuditRecord, SearchQuery } from '../../src/audit/index.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { adminQuery, adminUrl, uniqueName, PG_HOST, PG_PORT } from './postgres.js';

export interface ProxyHarnessOptions {
  /** Policy text; the shipped default policy when absent. */
  policyYaml?: string;
  /** Actor → plaintext password; with the embedded default and no policy, the sample secrets. */
  secrets?: Record<string, string>;
  /** Absent: the embedded default database (PGlite, data in a temporary folder) and its sample policy. */
  upstreamUrl?: string;
  credentials?: UpstreamCredential[];
  onRiskyRole?: 'warn' | 'refuse';
  limits?: Partial<Limits>;
  environment?: string;
  /** Make the audit store unwritable, to test failing closed. */
  auditPath?: string;
  /** OpenLineage events out, as the config file's `lineage:` section gives them. */
  lineage?: ParapetConfig['lineage'];
  /** The `masking:` section (the `hash` style's key). */
  masking?: ParapetConfig['masking'];
}

export interface ProxyHarness {
  host: string;
  port: number;
  /** `postgres://actor:password@127.0.0.1:port/database` (the upstream URL's database by default). */
  url(actor: string, password?: string, database?: string): string;
  /** Path of the SQLite audit trail. */
  auditPath: string;
  /** Lines the proxy logged (info, warnings, errors). */
  logs: string[];
  /** Audit records matching `query`, read from the trail's file. */
  auditRecords(query?: SearchQuery): Promise<AuditRecord[]>;
  running: RunningProxy;
  stop(): Promise<void>;
}

export async function startProxy(options: ProxyHarnessOptions): Promise<ProxyHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-proxy-'));
  const logs: string[] = [];
  const config: ParapetConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    audit: { store: 'sqlite', path: options.auditPath ?? join(dir, 'audit.db') },
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  };
  if (options.upstreamUrl !== undefined) {
    config.upstream = { url: options.upstreamUrl, credentials: options.credentials ?? [], onRiskyRole: options.onRiskyRole ?? 'warn', connectTimeoutMs: 5000 };
  } else {
    config.embeddedDataDir = join(dir, 'pgdata');
  }
  if (options.policyYaml !== undefined) {
    config.policy = join(dir, 'policy.yaml');
    writeFileSync(config.policy, options.policyYaml);
  }
  if (options.secrets !== undefined || options.upstreamUrl !== undefined) {
    config.secrets = join(dir, 'secrets.yaml');
    const secrets = Object.entries(options.secrets ?? {}).map(([actor, password]) => `  ${JSON.stringify(actor)}: { plaintext: ${JSON.stringify(password)} }`);
    writeFileSync(config.secrets, `actors:${secrets.length ? `\n${secrets.join('\n')}` : ' {}'}\n`);
  }
  if (options.environment) config.environment = options.environment;
  if (options.lineage) config.lineage = options.lineage;
  if (options.masking) config.masking = options.masking;
  const log = {
    info: (m: string) => logs.push(`info: ${m}`),
    warn: (m: string) => logs.push(`warn: ${m}`),
    error: (m: string) => logs.push(`error: ${m}`),
  };
  let running: RunningProxy;
  try {
    running = await start({ config, log });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const upstreamDb = options.upstreamUrl === undefined ? 'postgres' : new URL(options.upstreamUrl).pathname.slice(1);
  return {
    host: running.server.address.host,
    port: running.server.address.port,
    url: (actor, password, database = upstreamDb) => running.url(actor, password, database),
    auditPath: config.audit.store === 'sqlite' ? config.audit.path : '',
    logs,
    async auditRecords(query = {}) {
      const store = SqliteAuditStore.openReadOnly((config.audit as { path: string }).path);
      try {
        return await store.search(query);
      } finally {
        await store.close();
      }
    },
    running,
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway database owned by a throwaway non-superuser role: what Parapet should connect as. */
export interface TestUpstream {
  database: string;
  role: string;
  password: string;
  /** Parapet's upstream URL: the non-superuser role on the new database. */
  url: string;
  /** The same database as the admin (superuser), for independent checks. */
  adminUrl: string;
  drop(): Promise<void>;
}

export async function createUpstream(prefix = 'parapet_proxy'): Promise<TestUpstream> {
  const database = uniqueName(prefix);
  const role = uniqueName(`${prefix}_role`);
  const password = `pw_${uniqueName('x')}`;
  await adminQuery(`create role "${role}" login password '${password}'`);
  await adminQuery(`create database "${database}" owner "${role}"`);
  return {
    database,
    role,
    password,
    url: `postgres://${role}:${password}@${PG_HOST}:${PG_PORT}/${database}`,
    adminUrl: adminUrl(database),
    async drop() {
      await adminQuery(`drop database if exists "${database}" with (force)`);
      await adminQuery(`drop role if exists "${role}"`);
    },
  };
}
