/**
 * The operational keys of the configuration: connection limits, idle / statement / shutdown
 * timeouts (globally and per actor, under `limits:`) and the `metrics:` section with its
 * `--metrics HOST:PORT` flag. Each problem is reported where it is, like every other key.
 */
import type { ActorKind } from '../policy/types.js';
import { ConfigErrorCode, type ConfigIssue } from './errors.js';
import type { Located } from './located-yaml.js';
import type { ActorLimits, Limits, MetricsConfig } from './types.js';
import { parseDuration, parseHostPort } from './units.js';

/** Keys of `limits:` read here (the others are read in load-config.ts). */
export const OPERATION_LIMIT_KEYS = ['maxConnectionsPerActor', 'idleTimeout', 'statementTimeout', 'shutdownTimeout', 'actors'] as const;

const ACTOR_LIMIT_KEYS = ['groups', 'kinds', 'actors', 'maxConnections', 'idleTimeout', 'statementTimeout'] as const;
const METRICS_KEYS = ['listen'] as const;
const ACTOR_KINDS: readonly ActorKind[] = ['human', 'agent', 'pipeline', 'service'];

/** The flag that overrides `metrics.listen`. */
export interface MetricsFlags {
  metrics?: string;
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
const duration = (v: unknown): number | undefined => {
  const ms = parseDuration(v);
  return ms !== undefined && ms > 0 ? ms : undefined;
};

/** Reads the operational keys of an already-checked `limits:` mapping into `limits`. */
export function readOperationLimits(map: Map<string, Located>, limits: Limits): void {
  const read = <T>(key: string, parse: (v: unknown) => T | undefined, expected: string): T | undefined => {
    const node = map.get(key);
    if (!node?.present) return undefined;
    const value = parse(node.scalar());
    if (value === undefined) node.issue(ConfigErrorCode.invalidValue, `\`limits.${key}\` must be ${expected}`);
    return value;
  };
  const perActor = read('maxConnectionsPerActor', count, 'a positive whole number');
  if (perActor !== undefined) limits.maxConnectionsPerActor = perActor;
  const idle = read('idleTimeout', duration, 'a duration such as `10m`');
  if (idle !== undefined) limits.idleTimeoutMs = idle;
  const statement = read('statementTimeout', duration, 'a duration such as `30s`');
  if (statement !== undefined) limits.statementTimeoutMs = statement;
  const shutdown = read('shutdownTimeout', (v) => parseDuration(v), 'a duration such as `30s`');
  if (shutdown !== undefined) limits.shutdownTimeoutMs = shutdown;
  const actors = map.get('actors');
  if (actors?.present) limits.actors = readActorLimits(actors);
}

function readActorLimits(node: Located): ActorLimits[] {
  const out: ActorLimits[] = [];
  for (const item of node.sequence('`limits.actors`') ?? []) {
    const map = item.mapping('an entry of `limits.actors`', ACTOR_LIMIT_KEYS);
    if (!map) continue;
    const entry: ActorLimits = {};
    const groups = map.get('groups');
    if (groups?.present) entry.groups = groups.strings('`groups`') ?? [];
    const actors = map.get('actors');
    if (actors?.present) entry.actors = actors.strings('`actors`') ?? [];
    const kinds = map.get('kinds');
    if (kinds?.present) {
      const values = kinds.strings('`kinds`') ?? [];
      const bad = values.find((k) => !(ACTOR_KINDS as readonly string[]).includes(k));
      if (bad !== undefined) kinds.issue(ConfigErrorCode.invalidValue, `unknown actor kind \`${bad}\``, `expected one of: ${ACTOR_KINDS.join(', ')}`);
      entry.kinds = values.filter((k): k is ActorKind => (ACTOR_KINDS as readonly string[]).includes(k));
    }
    const value = <T>(key: string, parse: (v: unknown) => T | undefined, expected: string): T | undefined => {
      const node = map.get(key);
      if (!node?.present) return undefined;
      const parsed = parse(node.scalar());
      if (parsed === undefined) node.issue(ConfigErrorCode.invalidValue, `\`${key}\` in \`limits.actors\` must be ${expected}`);
      return parsed;
    };
    const max = value('maxConnections', count, 'a positive whole number');
    if (max !== undefined) entry.maxConnections = max;
    const idle = value('idleTimeout', duration, 'a duration such as `10m`');
    if (idle !== undefined) entry.idleTimeoutMs = idle;
    const statement = value('statementTimeout', duration, 'a duration such as `30s`');
    if (statement !== undefined) entry.statementTimeoutMs = statement;
    if (!['maxConnections', 'idleTimeout', 'statementTimeout'].some((key) => map.has(key))) {
      item.issue(ConfigErrorCode.missingKey, 'an entry of `limits.actors` sets nothing', 'give it maxConnections, idleTimeout or statementTimeout');
    }
    out.push(entry);
  }
  return out;
}

/** The `metrics:` section. */
export function readMetricsSection(node: Located): MetricsConfig | undefined {
  const map = node.mapping('`metrics`', METRICS_KEYS);
  const listen = map?.get('listen');
  if (!listen?.present) {
    if (map) node.issue(ConfigErrorCode.missingKey, '`metrics` needs a `listen` address', 'for example 127.0.0.1:9187');
    return undefined;
  }
  const text = listen.string('`metrics.listen`');
  const parsed = text === undefined ? undefined : parseHostPort(text);
  if (text !== undefined && !parsed) listen.issue(ConfigErrorCode.invalidValue, `\`metrics.listen\` must be HOST:PORT, got \`${text}\``, 'for example 127.0.0.1:9187');
  return parsed ? { listen: parsed } : undefined;
}

/** The metrics settings after `--metrics` (which wins over the file). */
export function resolveMetrics(section: MetricsConfig | undefined, flags: MetricsFlags, issues: ConfigIssue[]): MetricsConfig | undefined {
  if (flags.metrics === undefined) return section;
  const parsed = parseHostPort(flags.metrics);
  if (parsed) return { listen: parsed };
  issues.push({ code: ConfigErrorCode.invalidValue, file: '--metrics', line: 0, column: 0, message: `expected HOST:PORT, got \`${flags.metrics}\``, hint: 'for example 127.0.0.1:9187' });
  return section;
}
