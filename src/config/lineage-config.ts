/**
 * The `lineage:` section: where OpenLineage events go (an NDJSON file or an HTTP endpoint such as
 * Marquez's `/api/v1/lineage`) and how datasets are named. Absent: no events are emitted; the
 * `parapet lineage` commands still work from the audit trail.
 *
 *     lineage:
 *       transport: http
 *       url: http://marquez:5000/api/v1/lineage
 *       apiKey: env:MARQUEZ_API_KEY
 *       namespace: postgres://db.internal:5432   # default: the upstream's host and port
 */
import { resolve } from 'node:path';
import type { LineageConfig } from '../lineage/emitter.js';
import { ConfigErrorCode } from './errors.js';
import type { Located } from './located-yaml.js';

const LINEAGE_KEYS = ['transport', 'path', 'url', 'apiKey', 'namespace', 'jobNamespace', 'maxQueue'] as const;

/** `lineage` settings before the upstream is known: the namespace may still be defaulted from it. */
export type LineageSettings = LineageConfig;

export function readLineageSection(
  node: Located,
  base: string,
  secret: (node: Located, what: string) => string | undefined,
): LineageSettings | undefined {
  const map = node.mapping('`lineage`', LINEAGE_KEYS);
  if (!map) return undefined;
  const text = (key: (typeof LINEAGE_KEYS)[number]): string | undefined => {
    const value = map.get(key);
    return value?.present ? value.string(`\`lineage.${key}\``) : undefined;
  };
  const kindNode = map.get('transport');
  const kind = kindNode?.present ? kindNode.oneOf('`lineage.transport`', ['file', 'http'] as const) : undefined;
  if (!kindNode?.present) node.issue(ConfigErrorCode.missingKey, '`lineage` needs `transport: file` or `transport: http`');
  if (!kind) return undefined;
  const names = {
    ...(text('namespace') ? { namespace: text('namespace')! } : {}),
    ...(text('jobNamespace') ? { jobNamespace: text('jobNamespace')! } : {}),
  };
  if (kind === 'file') {
    for (const key of ['url', 'apiKey', 'maxQueue'] as const) map.get(key)?.issue(ConfigErrorCode.invalidValue, `\`lineage.${key}\` does not apply to the file transport`);
    const path = text('path');
    if (path === undefined) {
      node.issue(ConfigErrorCode.missingKey, 'the file transport needs `lineage.path`');
      return undefined;
    }
    return { transport: { type: 'file', path: resolve(base, path) }, ...names };
  }
  map.get('path')?.issue(ConfigErrorCode.invalidValue, '`lineage.path` does not apply to the http transport');
  const url = text('url');
  if (url === undefined) {
    node.issue(ConfigErrorCode.missingKey, 'the http transport needs `lineage.url`');
    return undefined;
  }
  const keyNode = map.get('apiKey');
  const apiKey = keyNode?.present ? secret(keyNode, '`lineage.apiKey`') : undefined;
  const queueNode = map.get('maxQueue');
  const maxQueue = queueNode?.present ? queueNode.scalar() : undefined;
  if (queueNode?.present && !(typeof maxQueue === 'number' && Number.isInteger(maxQueue) && maxQueue > 0)) {
    queueNode.issue(ConfigErrorCode.invalidValue, '`lineage.maxQueue` must be a positive whole number');
  }
  return {
    transport: { type: 'http', url, ...(apiKey !== undefined ? { apiKey } : {}), ...(typeof maxQueue === 'number' ? { maxQueue } : {}) },
    ...names,
  };
}

/** The dataset namespace OpenLineage expects for a PostgreSQL server: `postgres://host:port`. */
export function upstreamNamespace(host: string, port: number): string {
  return `postgres://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
