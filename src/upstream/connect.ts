/**
 * Opens an authenticated session on the upstream PostgreSQL server: TCP (with TLS as `sslmode` says,
 * see tls.ts) or unix socket, a StartupMessage that pins `client_encoding=UTF8` and
 * `standard_conforming_strings=on` (what the analyser assumes), then trust, cleartext, md5 or
 * SCRAM-SHA-256 authentication (SCRAM-SHA-256-PLUS on TLS when offered), up to the first ReadyForQuery.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { decodeBackend } from '../protocol/backend.js';
import * as fe from '../protocol/encode-frontend.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { ProtocolError } from '../protocol/errors.js';
import { ScramClientSession, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, md5Password, saltedPasswordAsync } from '../protocol/scram.js';
import { sendCancel } from './cancel.js';
import { UpstreamError, socketError } from './errors.js';
import { FrameSource } from './frame-source.js';
import { negotiateTls, upstreamChannelBinding, type UpstreamTlsOptions } from './tls.js';

/** libpq's `channel_binding`: `prefer` binds when the server offers SCRAM-SHA-256-PLUS on TLS, `require` insists. */
export type ChannelBindingMode = 'disable' | 'prefer' | 'require';

/** Where and as whom to connect. */
export interface UpstreamOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  applicationName?: string;
  /** Extra command-line options for the server session, e.g. `-c default_transaction_read_only=on`. */
  options?: string;
  /** Further startup parameters (DateStyle, TimeZone…). The pinned settings always win. */
  parameters?: Record<string, string>;
  /** Milliseconds for connect plus login; 0 waits forever. Default 10000. */
  connectTimeoutMs?: number;
  /** Full path of a unix socket (`<dir>/.s.PGSQL.<port>`); when set, `host` is only used in messages. */
  socketPath?: string;
  /** TLS as libpq's sslmode and friends say it; absent: no TLS. Never used on a unix socket (as libpq). */
  tls?: UpstreamTlsOptions;
  /** `prefer` by default. */
  channelBinding?: ChannelBindingMode;
}

/**
 * An authenticated upstream session, positioned just after its first ReadyForQuery. The socket is
 * paused with no `data` listener: attach yours, `drain()` the reader first (it may hold frames that
 * arrived with the ReadyForQuery), then `socket.resume()`. An `error` listener stays attached so an
 * error before yours is attached cannot crash the process; `close` always follows an error.
 */
export interface UpstreamConnection {
  socket: Socket;
  /** Tagged-mode reader holding any bytes received after the ReadyForQuery. */
  reader: FrameReader;
  /** ParameterStatus values reported by the server (server_version, TimeZone, …). */
  parameters: Map<string, string>;
  processId: number;
  secretKey: Buffer;
  host: string;
  port: number;
  socketPath?: string;
  /** Whether the session runs over TLS. */
  encrypted: boolean;
  /** Sends a CancelRequest for this session on a new connection (over TLS when this one is). */
  cancel(): Promise<void>;
  /** Sends Terminate and closes the socket; idempotent. */
  close(): void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Largest message accepted from the upstream (PostgreSQL's own limit for a message is 1 GB). */
export const MAX_UPSTREAM_FRAME_BYTES = 0x3fffffff;

/** Settings the analyser depends on; sent in the startup packet and checked in the server's reply. */
const PINNED = { client_encoding: 'UTF8', standard_conforming_strings: 'on' } as const;

export async function connectUpstream(options: UpstreamOptions): Promise<UpstreamConnection> {
  const sslmode = options.socketPath ? 'disable' : (options.tls?.sslmode ?? 'disable');
  switch (sslmode) {
    case 'allow':
      // libpq: plaintext first; TLS only when the server refuses the plaintext session.
      try {
        return await attempt(options, 'off');
      } catch (error) {
        if (error instanceof UpstreamError && error.pgError !== undefined) return attempt(options, 'on');
        throw error;
      }
    case 'prefer':
      // libpq: TLS when the server agrees; a failed handshake is retried in plaintext.
      try {
        return await attempt(options, 'on');
      } catch (error) {
        if (error instanceof UpstreamError && error.code === 'tls-failed') return attempt(options, 'off');
        throw error;
      }
    case 'disable':
      return attempt(options, 'off');
    default:
      return attempt(options, 'on');
  }
}

/**
 * A handler for the socket's whole life, defined out here: an arrow function inside `attempt` would
 * hold the login's scope (its frame source, timer and promises) for as long as the socket lives.
 */
const ignore = (): void => {};

/** One connection: TCP or unix socket, TLS when `tls` is `on` (and the server agrees, unless required), login. */
async function attempt(options: UpstreamOptions, tls: 'on' | 'off'): Promise<UpstreamConnection> {
  const where = options.socketPath ?? `${options.host}:${options.port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const raw = options.socketPath ? netConnect({ path: options.socketPath }) : netConnect({ host: options.host, port: options.port });
  raw.setNoDelay(true);
  raw.pause();
  let connected = false;
  let source: FrameSource | undefined;
  let expire: (error: UpstreamError) => void = () => {};
  const expired = new Promise<never>((_, reject) => (expire = reject));
  expired.catch(() => {});
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          const error = new UpstreamError('timeout', `upstream ${where} did not complete the login within ${timeoutMs} ms`);
          source?.fail(error);
          expire(error);
          raw.destroy();
        }, timeoutMs)
      : undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        const failed = (error: Error) => reject(socketError(error, where, false));
        raw.once('connect', () => {
          connected = true;
          raw.off('error', failed);
          resolve();
        });
        raw.once('error', failed);
      }),
      expired,
    ]);
    raw.on('error', ignore); // later errors reach the reader through `close`; never crash the process
    const secure = tls === 'on' && options.tls ? await Promise.race([negotiateTls(raw, options.tls, options.host, where), expired]) : undefined;
    const socket: Socket = secure ?? raw;
    const reader = new FrameReader({ maxFrameBytes: MAX_UPSTREAM_FRAME_BYTES, startup: false });
    source = new FrameSource(socket, reader, where, (error) => socketError(error, where, connected));
    socket.write(fe.startupMessage(startupParameters(options)));
    const session = await login(source, options, where, secure);
    checkPinned(session.parameters, where);
    source.release();
    socket.on('error', ignore);
    return connection(socket, reader, session, options, secure !== undefined);
  } catch (error) {
    raw.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The logged-in connection. Built apart from the login so that its `cancel` and `close` hold only
 * what they use, not the login's frame source, timers and promises for the whole session.
 */
function connection(socket: Socket, reader: FrameReader, session: Session, options: UpstreamOptions, encrypted: boolean): UpstreamConnection {
  let closed = false;
  const cancelOptions = { socketPath: options.socketPath, ...(encrypted && options.tls ? { tls: options.tls } : {}) };
  return {
    socket,
    reader,
    ...session,
    host: options.host,
    port: options.port,
    ...(options.socketPath ? { socketPath: options.socketPath } : {}),
    encrypted,
    cancel: () => sendCancel(options.host, options.port, session.processId, session.secretKey, cancelOptions),
    close() {
      if (closed) return;
      closed = true;
      if (socket.writable) socket.end(fe.terminate());
      else socket.destroy();
    },
  };
}

/** The startup parameters: the caller's, then the pinned settings on top. */
export function startupParameters(options: UpstreamOptions): Record<string, string> {
  const parameters: Record<string, string> = { ...options.parameters, user: options.user, database: options.database };
  if (options.applicationName !== undefined) parameters.application_name = options.applicationName;
  // Later `-c` settings win, so the pinned one goes last.
  const commandLine = [options.parameters?.options, options.options, `-c standard_conforming_strings=${PINNED.standard_conforming_strings}`];
  parameters.options = commandLine.filter((part) => part !== undefined && part !== '').join(' ');
  parameters.client_encoding = PINNED.client_encoding;
  return parameters;
}

interface Session {
  parameters: Map<string, string>;
  processId: number;
  secretKey: Buffer;
}

async function login(source: FrameSource, options: UpstreamOptions, where: string, secure: TLSSocket | undefined): Promise<Session> {
  const session: Session = { parameters: new Map(), processId: 0, secretKey: Buffer.alloc(0) };
  const binding = options.channelBinding ?? 'prefer';
  let scram: ScramClientSession | undefined;
  let bound = false;
  /** channel_binding=require: no password may leave Parapet on an exchange that cannot bind. */
  const requireBinding = (what: string): void => {
    if (binding !== 'require') return;
    throw new UpstreamError('channel-binding', `upstream ${where} ${what}, but channel_binding=require`, {
      hint: secure ? 'the server must offer SCRAM-SHA-256-PLUS: scram-sha-256 in pg_hba.conf for this role' : 'channel binding needs TLS: set sslmode=require or stronger',
    });
  };
  const send = (bytes: Buffer) => source.socket.write(bytes);
  const password = (): string => {
    if (options.password !== undefined) return options.password;
    throw new UpstreamError('auth-failed', `upstream ${where} asks for a password for \`${options.user}\` but none is configured`, {
      hint: 'put the password in the upstream URL or its password setting',
    });
  };
  for (;;) {
    const message = decode(await source.next(), where);
    switch (message.type) {
      case 'AuthenticationOk':
        if (!bound) requireBinding('authenticated Parapet without channel binding');
        break;
      case 'NoticeResponse':
      case 'NegotiateProtocolVersion':
        break;
      case 'AuthenticationCleartextPassword':
        requireBinding('asks for a cleartext password');
        send(fe.passwordMessage(password()));
        break;
      case 'AuthenticationMD5Password':
        requireBinding('asks for an md5 password');
        send(fe.passwordMessage(md5Password(options.user, password(), message.salt)));
        break;
      case 'AuthenticationSASL': {
        const plus = secure !== undefined && binding !== 'disable' && message.mechanisms.includes(SCRAM_SHA_256_PLUS);
        const channelBinding = plus ? upstreamChannelBinding(secure) : undefined;
        if (!channelBinding) requireBinding(plus ? 'has a certificate whose hash cannot be computed for channel binding' : 'does not offer SCRAM-SHA-256-PLUS');
        if (!channelBinding && !message.mechanisms.includes(SCRAM_SHA_256)) {
          throw new UpstreamError('unsupported-auth', `upstream ${where} offers only SASL mechanisms ${message.mechanisms.map((m) => `\`${m}\``).join(', ')}`, {
            hint: secure ? 'allow SCRAM-SHA-256 for Parapet\'s upstream role' : 'SCRAM-SHA-256-PLUS needs TLS: set sslmode=require or stronger',
          });
        }
        // On TLS without binding, say `y` (could bind, server seems not to) unless binding is disabled, as libpq does.
        scram = new ScramClientSession(password(), channelBinding ? { channelBinding } : { onTls: secure !== undefined && binding !== 'disable' && !plus });
        send(fe.saslInitialResponse(scram.mechanism, scram.clientFirst()));
        break;
      }
      case 'AuthenticationSASLContinue': {
        const client = expectScram(scram, where);
        const { salt, iterations } = scramStep(() => client.serverFirst(message.data), where);
        const salted = await saltedPasswordAsync(password(), salt, iterations);
        send(fe.saslResponse(client.clientFinal(salted)));
        break;
      }
      case 'AuthenticationSASLFinal':
        if (!scramStep(() => expectScram(scram, where).verifyServerFinal(message.data), where)) {
          throw new UpstreamError('auth-failed', `upstream ${where} sent a wrong SCRAM server signature: it does not know the password`, {
            hint: 'the server may not be the one configured',
          });
        }
        bound = scram!.mechanism === SCRAM_SHA_256_PLUS;
        break;
      case 'AuthenticationUnsupported':
        throw new UpstreamError('unsupported-auth', `upstream ${where} asks for authentication method ${message.method}, which Parapet does not support`, {
          hint: 'use trust, password, md5 or scram-sha-256 in pg_hba.conf for Parapet\'s upstream role',
        });
      case 'ParameterStatus':
        session.parameters.set(message.name, message.value);
        break;
      case 'BackendKeyData':
        session.processId = message.processId;
        // A copy of its own: a small Buffer.from() is a slice of Node's shared 8 KiB pool, and a key
        // held for the whole session keeps its slab alive (≈ 2 KiB per held session).
        session.secretKey = Buffer.allocUnsafeSlow(message.secretKey.length);
        message.secretKey.copy(session.secretKey);
        break;
      case 'ErrorResponse': {
        const fields = message.fields;
        const code = fields.code.startsWith('28') ? 'auth-failed' : 'server-error';
        throw new UpstreamError(code, `upstream ${where} refused the session: ${fields.message} (SQLSTATE ${fields.code})`, { pgError: fields });
      }
      case 'ReadyForQuery':
        return session;
      default:
        throw new UpstreamError('protocol', `upstream ${where} sent ${message.type} during login`);
    }
  }
}

function decode(frame: Parameters<typeof decodeBackend>[0], where: string) {
  try {
    return decodeBackend(frame);
  } catch (error) {
    throw new UpstreamError('protocol', `upstream ${where} sent a bad message: ${(error as Error).message}`, { cause: error });
  }
}

function expectScram(scram: ScramClientSession | undefined, where: string): ScramClientSession {
  if (!scram) throw new UpstreamError('protocol', `upstream ${where} continued a SASL exchange that was never started`);
  return scram;
}

function scramStep<T>(step: () => T, where: string): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ProtocolError) {
      throw new UpstreamError('protocol', `upstream ${where} broke the SCRAM exchange: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function checkPinned(parameters: Map<string, string>, where: string): void {
  for (const [name, expected] of Object.entries(PINNED)) {
    const actual = parameters.get(name);
    if (actual !== expected) {
      throw new UpstreamError('protocol', `upstream ${where} reports ${name} = \`${actual ?? '(nothing)'}\`, Parapet needs \`${expected}\``, {
        hint: 'the analyser reads SQL as the server would only with these settings',
      });
    }
  }
}
