/**
 * The MCP server's only way to the database: a PostgreSQL session on a Parapet proxy, logged in as
 * the actor with the actor's own credentials (node-postgres). Every decision is therefore the
 * proxy's, and every statement is audited like any client's.
 *
 * One session per tool call: nothing (an open transaction, a `SET`) carries over from one call to
 * the next. Rows past the caller's cap are counted, not kept, so a huge result cannot exhaust memory.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { requiresTls, verifiesChain, type UpstreamTlsOptions } from '../upstream/tls.js';
import { columnValue, type JsonValue } from './values.js';

/** Where the proxy listens and as whom to log in. */
export interface ProxyLogin {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** Unix socket directory instead of TCP, when the proxy URL names one. */
  socketDir?: string;
  /** The proxy URL's `options` (each `-c` is decided by the proxy like a `SET`). */
  options?: string;
  /** TLS to the proxy, from the URL's libpq parameters (sslmode, sslrootcert, sslcert, sslkey). */
  tls?: UpstreamTlsOptions;
}

/** A PostgreSQL error or notice as the proxy sent it. */
export interface ServerMessage {
  severity: string;
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement text, when the server gave one. */
  position?: number;
}

export interface Column {
  name: string;
  /** PostgreSQL type OID. */
  typeOid: number;
  /** OID of the table the column comes from (0 for an expression). */
  tableOid: number;
  /** Attribute number in that table (0 for an expression). */
  columnNumber: number;
}

/** One statement's result. */
export interface ResultSet {
  /** Command tag verb: SELECT, INSERT, EXPLAIN, … */
  command: string;
  /** Rows the command reported (affected or returned); null when the tag has none. */
  rowCount: number | null;
  columns: Column[];
  /** The rows kept, at most the cap. */
  rows: JsonValue[][];
  /** Rows that arrived (kept or not). */
  received: number;
}

export type RunOutcome =
  | { ok: true; results: ResultSet[]; notices: ServerMessage[] }
  | { ok: false; error: ServerMessage; notices: ServerMessage[]; atConnect?: true };

export interface RunOptions {
  params?: readonly (string | number | boolean | null)[];
  /** Rows kept per result set; the rest are counted. */
  maxRows: number;
  /**
   * Send with the extended protocol even without parameters: the server then accepts exactly one
   * statement (a second one is a syntax error), which `explain` relies on.
   */
  singleStatement?: boolean;
}

/** An open session on the proxy, for one tool call. */
export interface ProxySession {
  run(sql: string, options: RunOptions): Promise<RunOutcome>;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** Every value arrives as text; `values.ts` converts by type. */
const TEXT_TYPES = { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig;

/**
 * Opens a session as `login`, runs `work`, and closes it. A login the proxy refuses (bad
 * credentials, a database the actor may not reach, a proxy that is down) is returned as an error.
 */
export async function withProxySession<T>(
  login: ProxyLogin,
  applicationName: string,
  work: (session: ProxySession) => Promise<T>,
): Promise<T | { ok: false; error: ServerMessage; notices: ServerMessage[]; atConnect: true }> {
  const client = new pg.Client({
    host: login.socketDir ?? login.host,
    port: login.port,
    database: login.database,
    user: login.user,
    ...(login.password !== undefined ? { password: login.password } : {}),
    ...(login.options !== undefined ? { options: login.options } : {}),
    application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ssl: pgSsl(login.tls),
  });
  const notices: ServerMessage[] = [];
  client.on('notice', (notice) => notices.push(serverMessage(notice)));
  client.on('error', () => {}); // a dropped connection fails the running query; it must not crash the process
  try {
    await client.connect();
  } catch (error) {
    return { ok: false, error: connectFailure(error, login), notices, atConnect: true };
  }
  try {
    return await work({ run: (sql, options) => run(client, notices, sql, options) });
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * node-postgres's TLS settings for libpq's sslmode: `require` and stronger use TLS (the chain checked
 * for verify-ca, and require with a CA file; the host name too for verify-full). node-postgres cannot
 * fall back, so `allow` and `prefer` connect without TLS, as `disable` does.
 */
export function pgSsl(tls: UpstreamTlsOptions | undefined): false | ConnectionOptions {
  if (!tls || !requiresTls(tls)) return false;
  const read = (file: string) => readFileSync(file);
  return {
    rejectUnauthorized: verifiesChain(tls),
    ...(tls.sslrootcert !== undefined && tls.sslrootcert !== 'system' ? { ca: read(tls.sslrootcert) } : {}),
    ...(tls.sslcert !== undefined && tls.sslkey !== undefined ? { cert: read(tls.sslcert), key: read(tls.sslkey) } : {}),
    ...(tls.sslmode === 'verify-full' ? {} : { checkServerIdentity: () => undefined }),
  };
}

function run(client: pg.Client, notices: ServerMessage[], sql: string, options: RunOptions): Promise<RunOutcome> {
  const first = notices.length;
  const kept = new Map<pg.QueryResult | undefined, { rows: JsonValue[][]; received: number }>();
  const query = new pg.Query({
    text: sql,
    ...(options.params && options.params.length > 0 ? { values: [...options.params] } : {}),
    rowMode: 'array',
    types: TEXT_TYPES,
    ...(options.singleStatement ? { queryMode: 'extended' } : {}),
  } as pg.QueryConfig);
  return new Promise<RunOutcome>((resolve) => {
    query.on('row', (row: (string | null)[], result?: pg.QueryResult) => {
      let set = kept.get(result);
      if (!set) kept.set(result, (set = { rows: [], received: 0 }));
      set.received++;
      if (set.rows.length < options.maxRows) set.rows.push(row.map((value, i) => columnValue(value, result?.fields[i]?.dataTypeID ?? 0)));
    });
    query.on('error', (error: Error) => resolve({ ok: false, error: queryFailure(error), notices: notices.slice(first) }));
    // node-postgres hands over an array when a simple query held several statements.
    query.on('end', (ended) => {
      const results = ended as pg.QueryResult | pg.QueryResult[];
      const sets = (Array.isArray(results) ? results : [results]).map((result) => resultSet(result, kept.get(result)));
      resolve({ ok: true, results: sets, notices: notices.slice(first) });
    });
    client.query(query);
  });
}

function resultSet(result: pg.QueryResult, kept: { rows: JsonValue[][]; received: number } | undefined): ResultSet {
  return {
    command: result.command ?? '',
    rowCount: result.rowCount ?? null,
    columns: (result.fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID, tableOid: f.tableID, columnNumber: f.columnID })),
    rows: kept?.rows ?? [],
    received: kept?.received ?? 0,
  };
}

/** The fields node-postgres gives an ErrorResponse (DatabaseError) or a NoticeResponse. */
interface PgMessageFields {
  severity?: string;
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  position?: string;
}

function serverMessage(message: PgMessageFields): ServerMessage {
  const position = Number(message.position);
  return {
    severity: message.severity ?? 'ERROR',
    sqlstate: message.code ?? '',
    message: message.message ?? '',
    ...(message.detail ? { detail: message.detail } : {}),
    ...(message.hint ? { hint: message.hint } : {}),
    ...(Number.isInteger(position) && position > 0 ? { position } : {}),
  };
}

function queryFailure(error: Error): ServerMessage {
  if (error instanceof pg.DatabaseError) return serverMessage(error);
  return { severity: 'ERROR', sqlstate: '08006', message: `the connection to the parapet proxy failed: ${error.message}` };
}

/** A refused login keeps the proxy's own SQLSTATE and words; a proxy that cannot be reached says where. */
function connectFailure(error: unknown, login: ProxyLogin): ServerMessage {
  if (error instanceof pg.DatabaseError) return serverMessage(error);
  const where = login.socketDir ?? `${login.host}:${login.port}`;
  return {
    severity: 'FATAL',
    sqlstate: '08001',
    message: `the parapet proxy at ${where} cannot be reached: ${(error as Error).message}`,
    hint: 'the operator must start the proxy (parapet serve) or fix PARAPET_URL',
  };
}
