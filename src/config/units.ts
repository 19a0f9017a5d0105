/**
 * Values with units in the configuration: durations (`30s`, `500ms`, `2m`, or a number of
 * milliseconds), byte sizes (`16MiB`, `64kB`, or a number of bytes) and `HOST:PORT` addresses.
 * Each parser returns undefined for text it does not accept; the caller reports where.
 */
import type { HostPort } from './types.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

function withUnit(value: unknown, units: Record<string, number>): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const factor = match[2] === '' ? 1 : units[match[2]!.toLowerCase()];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** Milliseconds from `250ms`, `30s`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  return withUnit(value, DURATION_UNITS);
}

/** Bytes from `64kB`, `16MiB`, `1GB` (powers of 1024) or a bare number of bytes. */
export function parseSize(value: unknown): number | undefined {
  return withUnit(value, SIZE_UNITS);
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). */
export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

/** `host:port` for messages, bracketing IPv6 literals. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
