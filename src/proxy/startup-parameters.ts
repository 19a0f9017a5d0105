/**
 * The client's startup packet, judged before anything reaches the upstream: which parameters are
 * allowed, what `options` asks to set (each `-c name=value` / `--name=value` becomes the matching
 * `SET`, decided by the guard like one), and what is refused outright. Pure.
 */
import type { PgErrorFields } from '../protocol/pg-error.js';

/** Parameters a client may send besides `user`, `database` and `options`. */
export const ALLOWED_STARTUP_PARAMETERS: ReadonlySet<string> = new Set([
  'application_name',
  'client_encoding',
  'datestyle',
  'timezone',
  'intervalstyle',
  'extra_float_digits',
  'fallback_application_name',
]);

/** Client encodings Parapet accepts: all are served as UTF8 (SQL_ASCII is what libpq picks in a C locale). */
const UTF8_NAMES = new Set(['utf8', 'utf-8', 'unicode', 'sql_ascii', 'auto']);

/** Settings Parapet pins upstream; no client may change them by any means. */
export const PINNED_SETTINGS: ReadonlySet<string> = new Set(['standard_conforming_strings', 'client_encoding']);

/** Settings a read-only session must not touch (its upstream enforces read-only through them). */
export const READ_ONLY_SETTINGS: ReadonlySet<string> = new Set(['default_transaction_read_only', 'transaction_read_only']);

/** One `SET` that the client's `options` asks for. */
export interface RequestedSetting {
  name: string;
  value: string;
  /** The matching SQL, for the guard: `SET "name" TO 'value'`. */
  sql: string;
}

export interface StartupRequest {
  user: string;
  database: string | undefined;
  applicationName: string | undefined;
  /** Allowed formatting parameters to pass upstream as they are (DateStyle, TimeZone…), original names. */
  passthrough: Record<string, string>;
  /** What `options` asked to set, in order. */
  settings: RequestedSetting[];
  /** `_pq_.` protocol options the client asked for; none is supported (NegotiateProtocolVersion lists them). */
  protocolOptions: string[];
}

export type StartupJudgement = { ok: true; request: StartupRequest } | { ok: false; error: PgErrorFields };

function refuse(code: string, message: string, hint?: string): StartupJudgement {
  return { ok: false, error: { severity: 'FATAL', code, message, ...(hint ? { hint } : {}) } };
}

/** Reads the StartupMessage's parameters; refuses replication, unknown parameters, other encodings and pinned settings. */
export function judgeStartup(parameters: Record<string, string>): StartupJudgement {
  const user = parameters.user;
  if (!user) return refuse('28000', 'no PostgreSQL user name specified in startup packet');
  const replication = parameters.replication;
  if (replication !== undefined && !['false', 'off', 'no', '0'].includes(replication.toLowerCase())) {
    return refuse('42501', 'replication connections are not allowed through parapet', 'connect to the database directly for replication');
  }
  const request: StartupRequest = {
    user,
    database: parameters.database || undefined,
    applicationName: parameters.application_name ?? parameters.fallback_application_name,
    passthrough: {},
    settings: [],
    protocolOptions: [],
  };
  for (const [name, value] of Object.entries(parameters)) {
    if (name === 'user' || name === 'database' || name === 'options' || name === 'replication') continue;
    if (name.startsWith('_pq_.')) {
      request.protocolOptions.push(name);
      continue;
    }
    const lower = name.toLowerCase();
    if (!ALLOWED_STARTUP_PARAMETERS.has(lower)) {
      return refuse('42501', `startup parameter \`${name}\` is not allowed`, `allowed: user, database, options, ${[...ALLOWED_STARTUP_PARAMETERS].join(', ')}`);
    }
    if (lower === 'client_encoding') {
      if (!UTF8_NAMES.has(value.toLowerCase())) {
        return refuse('22023', `client encoding \`${value}\` is not supported`, 'parapet speaks UTF8 only: set client_encoding=UTF8');
      }
      continue; // pinned upstream
    }
    if (lower === 'application_name' || lower === 'fallback_application_name') continue;
    request.passthrough[name] = value;
  }
  if (parameters.options) {
    const parsed = parseOptions(parameters.options);
    if (!parsed.ok) return parsed;
    for (const setting of parsed.settings) {
      if (PINNED_SETTINGS.has(setting.name)) {
        return refuse('42501', `setting \`${setting.name}\` is pinned by parapet and cannot be changed`);
      }
    }
    request.settings = parsed.settings;
  }
  return { ok: true, request };
}

/**
 * Splits `options` as PostgreSQL does (pg_split_opts: whitespace separates, a backslash escapes the
 * next character) and reads each `-c name=value`, `-cname=value` or `--name=value`. Like
 * PostgreSQL, dashes in a name become underscores and names are case-insensitive.
 */
export function parseOptions(options: string): { ok: true; settings: RequestedSetting[] } | { ok: false; error: PgErrorFields } {
  const words = splitOptions(options);
  const settings: RequestedSetting[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let assignment: string | undefined;
    if (word === '-c') assignment = words[++i];
    else if (word.startsWith('-c')) assignment = word.slice(2);
    else if (word.startsWith('--')) assignment = word.slice(2);
    const eq = assignment?.indexOf('=') ?? -1;
    if (assignment === undefined || eq <= 0) {
      const refused = refuse('42501', `startup option \`${word}\` is not allowed`, 'only `-c name=value` and `--name=value` are accepted in options');
      return refused as { ok: false; error: PgErrorFields };
    }
    const name = assignment.slice(0, eq).replace(/-/g, '_').toLowerCase();
    const value = assignment.slice(eq + 1);
    settings.push({ name, value, sql: setStatement(name, value) });
  }
  return { ok: true, settings };
}

function splitOptions(options: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i]!;
    if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      if (ch === '\\' && i + 1 < options.length) current += options[++i];
      else current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** `SET "a"."b" TO 'v'`: the statement the guard decides for a startup setting. */
export function setStatement(name: string, value: string): string {
  const ident = name.split('.').map((part) => `"${part.replace(/"/g, '""')}"`).join('.');
  return `SET ${ident} TO '${value.replace(/'/g, "''")}'`;
}

/** Joins settings back into an `options` value for the upstream startup packet (escaping as pg_split_opts expects). */
export function formatOptions(settings: ReadonlyArray<{ name: string; value: string }>): string {
  const escape = (text: string): string => text.replace(/[\\\s]/g, (ch) => `\\${ch}`);
  return settings.map((s) => `-c ${escape(s.name)}=${escape(s.value)}`).join(' ');
}
