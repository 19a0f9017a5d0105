/**
 * What the HTTP transport checks before a request reaches MCP: a loopback listen address unless
 * remote access is asked for, the Host header (a DNS-rebinding page names its own host), the Origin
 * header (absent for non-browser clients; a browser page from elsewhere is refused), and the
 * bearer token.
 */
import { isIP } from 'node:net';
import type { HostPort } from '../config/types.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The origins a browser page served by this very address would send. */
export function ownOrigins(address: HostPort): string[] {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const hosts = isLoopback(address.host) ? [...new Set([host, ...LOOPBACK_NAMES])] : [host];
  return hosts.map((h) => `http://${h}:${address.port}`);
}

/** With a loopback listen address, the Host header must name a loopback host and our port. */
export function hostAllowed(header: string | undefined, address: HostPort): boolean {
  if (!isLoopback(address.host)) return true;
  if (header === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim().toLowerCase());
  if (!match) return false;
  return isLoopback(match[1]!) && (match[2] === undefined ? address.port === 80 : Number(match[2]) === address.port);
}

/** An absent Origin is allowed (not a browser); a present one must be ours or listed. `null` never is. */
export function originAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  if (header === undefined) return true;
  let origin: string;
  try {
    origin = new URL(header).origin;
  } catch {
    return false;
  }
  return origin !== 'null' && allowed.includes(origin);
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Normalises an `--allow-origin` value (`https://app.example:8443/` → `https://app.example:8443`); undefined when it is no origin. */
export function normaliseOrigin(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
