/**
 * Export formats of `parapet audit export`: JSON lines (the records as stored), CEF (ArcSight
 * Common Event Format, one event per line — most SIEMs read it), and OpenTelemetry logs (one OTLP
 * JSON `ExportLogsServiceRequest` per line, as the collector's file exporter writes them).
 *
 * Statement text leaves redacted per config: a record kept with `redact: none` is exported with
 * its literals redacted unless the export asks for `none` too. Passwords were never stored.
 */
import { isIP } from 'node:net';
import { redactStatement } from './redact.js';
import type { AuditRecord, Redaction } from './record.js';

export type ExportFormat = 'jsonl' | 'cef' | 'otel';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'cef', 'otel'];

const VERSION = '0.1.0';

/** The record as it may leave: re-redacted when stored with less redaction than the export allows. */
export function exportable(record: AuditRecord, redact: Redaction): AuditRecord {
  if (record.kind !== 'decision' || redact === 'none' || record.redaction === 'literals') return record;
  const { parameters: _dropped, ...rest } = record;
  return { ...rest, statement: redactStatement(record.statement, 'literals'), redaction: 'literals' };
}

export function jsonLine(record: AuditRecord): string {
  return JSON.stringify(record);
}

// ---- CEF -------------------------------------------------------------------------------------

function cefHeader(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ').replaceAll('\r', ' ');
}

function cefValue(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('=', '\\=').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
}

function signature(r: AuditRecord): { id: string; name: string; severity: number } {
  switch (r.kind) {
    case 'decision':
      return { id: `decision-${r.action}`, name: r.action === 'allow' ? 'statement allowed' : r.message, severity: r.action === 'deny' ? 7 : r.action === 'review' ? 5 : 1 };
    case 'outcome':
      return r.error ? { id: 'outcome-error', name: r.error.message, severity: 4 } : { id: 'outcome', name: r.commandTag ?? 'statement done', severity: 1 };
    case 'session':
      return { id: `session-${r.event}`, name: `session ${r.event}`, severity: r.event === 'auth-failure' ? 6 : 1 };
    case 'transaction':
      return { id: `transaction-${r.end}`, name: `transaction ${r.end}`, severity: 1 };
    case 'genesis':
      return { id: `genesis-${r.reason}`, name: r.reason === 'created' ? 'audit chain created' : 'audit records pruned', severity: 3 };
    case 'checkpoint':
      return { id: 'checkpoint-prune', name: 'audit retention checkpoint', severity: 3 };
  }
}

export function cefLine(r: AuditRecord): string {
  const sig = signature(r);
  const ext: [string, string | number | undefined][] = [
    ['rt', Date.parse(r.time)],
    ['externalId', r.seq],
    ['dvchost', r.instance],
    ['cs4Label', 'hash'],
    ['cs4', r.hash],
  ];
  if ('session' in r) ext.push(['cs3Label', 'session'], ['cs3', r.session]);
  if (r.kind === 'decision' || r.kind === 'session') {
    const address = r.clientAddress;
    if (address && isIP(address)) ext.push(['src', address]);
    else if (address) ext.push(['cs6Label', 'clientAddress'], ['cs6', address]);
    if (r.applicationName) ext.push(['requestClientApplication', r.applicationName]);
    if (r.database) ext.push(['destinationServiceName', r.database]);
  }
  if (r.kind === 'decision') {
    ext.push(['suser', r.actor.name], ['act', r.action], ['reason', r.message]);
    if (r.rules.length) ext.push(['cs1Label', 'rules'], ['cs1', r.rules.join(',')]);
    ext.push(['cs2Label', 'statement'], ['cs2', r.statement]);
    if (Object.keys(r.tags).length) ext.push(['cs5Label', 'tags'], ['cs5', JSON.stringify(r.tags)]);
  } else if (r.kind === 'session') {
    const who = r.actor?.name ?? r.user;
    if (who) ext.push(['suser', who]);
    if (r.reason) ext.push(['reason', r.reason]);
  } else if (r.kind === 'outcome') {
    ext.push(['outcome', r.error ? 'failure' : 'success'], ['cn1Label', 'decision'], ['cn1', r.decision]);
    if (r.rows !== undefined) ext.push(['cn2Label', 'rows'], ['cn2', r.rows]);
  }
  const extension = ext
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  return `CEF:0|Parapet|Parapet|${VERSION}|${cefHeader(sig.id)}|${cefHeader(sig.name)}|${sig.severity}|${extension}`;
}

// ---- OpenTelemetry logs (OTLP JSON) -----------------------------------------------------------

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
interface KeyValue {
  key: string;
  value: AnyValue;
}

function attr(key: string, value: string | number | boolean | undefined): KeyValue[] {
  if (value === undefined) return [];
  if (typeof value === 'boolean') return [{ key, value: { boolValue: value } }];
  if (typeof value === 'number') return [{ key, value: Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value } }];
  return [{ key, value: { stringValue: value } }];
}

const SEVERITY = { INFO: 9, WARN: 13, ERROR: 17 } as const;

function isHex(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (const c of text) if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return [...text].some((c) => c !== '0');
}

/** traceId/spanId from a W3C `traceparent` tag (untrusted: used only when well-formed). */
function traceOf(tags: Record<string, string> | undefined): { traceId: string; spanId: string } | undefined {
  const parts = tags?.traceparent?.split('-');
  if (!parts || parts.length !== 4 || !isHex(parts[1]!, 32) || !isHex(parts[2]!, 16)) return undefined;
  return { traceId: parts[1]!, spanId: parts[2]! };
}

function otelRecord(r: AuditRecord): Record<string, unknown> {
  const nanos = `${BigInt(Date.parse(r.time)) * 1_000_000n}`;
  let severity: keyof typeof SEVERITY = 'INFO';
  let body = '';
  const attributes: KeyValue[] = [...attr('event.name', `parapet.${r.kind}`), ...attr('parapet.seq', r.seq), ...attr('parapet.hash', r.hash), ...attr('parapet.instance', r.instance)];
  if ('session' in r) attributes.push(...attr('session.id', r.session));
  let trace: ReturnType<typeof traceOf>;
  switch (r.kind) {
    case 'decision':
      severity = r.action === 'allow' ? 'INFO' : 'WARN';
      body = r.action === 'allow' ? r.statement : `${r.message}: ${r.statement}`;
      attributes.push(
        ...attr('enduser.id', r.actor.name),
        ...attr('parapet.actor.kind', r.actor.kind),
        ...attr('parapet.decision', r.action),
        ...attr('parapet.rules', r.rules.join(',') || undefined),
        ...attr('db.system', 'postgresql'),
        ...attr('db.namespace', r.database),
        ...attr('db.query.text', r.statement),
        ...attr('client.address', r.clientAddress),
        ...attr('parapet.application_name', r.applicationName),
        ...Object.entries(r.tags).flatMap(([k, v]) => attr(`parapet.tag.${k}`, v)),
      );
      trace = traceOf(r.tags);
      break;
    case 'outcome':
      severity = r.error ? 'ERROR' : 'INFO';
      body = r.error ? r.error.message : (r.commandTag ?? 'done');
      attributes.push(...attr('parapet.decision_seq', r.decision), ...attr('db.response.status_code', r.error?.sqlstate), ...attr('parapet.rows', r.rows), ...attr('parapet.duration_ms', r.durationMs));
      break;
    case 'session':
      severity = r.event === 'auth-failure' ? 'WARN' : 'INFO';
      body = `session ${r.event}`;
      attributes.push(...attr('enduser.id', r.actor?.name ?? r.user), ...attr('client.address', r.clientAddress), ...attr('db.namespace', r.database));
      break;
    case 'transaction':
      body = `transaction ${r.end}`;
      break;
    case 'genesis':
    case 'checkpoint':
      body = r.kind === 'genesis' ? `audit chain ${r.reason}` : `audit retention pruned ${r.removed} records`;
      break;
  }
  return {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber: SEVERITY[severity],
    severityText: severity,
    body: { stringValue: body },
    attributes,
    ...(trace ? trace : {}),
  };
}

/** One OTLP/JSON ExportLogsServiceRequest holding `records`. */
export function otelLine(records: AuditRecord[]): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [...attr('service.name', 'parapet')] },
        scopeLogs: [{ scope: { name: 'parapet.audit', version: VERSION }, logRecords: records.map(otelRecord) }],
      },
    ],
  });
}
