/**
 * Opens an authenticated session on the upstream PostgreSQL server: TCP or unix socket, a
 * StartupMessage that pins `client_encoding=UTF8` and `standard_conforming_strings=on` (what the
 * analyser assumes), then trust, cleartext, md5 or SCRAM-SHA-256 authentication, up to the first
 * ReadyForQuery.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { decodeBackend } from '../protocol/backend.js';
import * as fe from '../protocol/encode-frontend.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { ProtocolError } from '../protocol/errors.js';
import { ScramClientSession, SCRAM_SHA_256, md5Password, saltedPasswordAsync } from '../protocol/scram.js';
import { sendCancel } from './cancel.js';
import { UpstreamError, socketError } from './errors.js';
import { FrameSource } from './frame-source.js';

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
  /** Sends a CancelRequest for this session on a new connection. */
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
  const where = options.socketPath ?? `${options.host}:${options.port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const socket = options.socketPath ? netConnect({ path: options.socketPath }) : netConnect({ host: options.host, port: options.port });
  socket.setNoDelay(true);
  socket.pause();
  let connected = false;
  socket.once('connect', () => (connected = true));
  const reader = new FrameReader({ maxFrameBytes: MAX_UPSTREAM_FRAME_BYTES, startup: false });
  const source = new FrameSource(socket, reader, where, (error) => socketError(error, where, connected));
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          source.fail(new UpstreamError('timeout', `upstream ${where} did not complete the login within ${timeoutMs} ms`));
          socket.destroy();
        }, timeoutMs)
      : undefined;
  try {
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), source.failed]);
    socket.write(fe.startupMessage(startupParameters(options)));
    const session = await login(source, options, where);
    checkPinned(session.parameters, where);
    source.release();
    socket.on('error', () => {});
    let closed = false;
    return {
      socket,
      reader: source.reader,
      ...session,
      host: options.host,
      port: options.port,
      ...(options.socketPath ? { socketPath: options.socketPath } : {}),
      cancel: () => sendCancel(options.host, options.port, session.processId, session.secretKey, { socketPath: options.socketPath }),
      close() {
        if (closed) return;
        closed = true;
        if (socket.writable) socket.end(fe.terminate());
        else socket.destroy();
      },
    };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
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

async function login(source: FrameSource, options: UpstreamOptions, where: string): Promise<Session> {
  const session: Session = { parameters: new Map(), processId: 0, secretKey: Buffer.alloc(0) };
  let scram: ScramClientSession | undefined;
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
      case 'NoticeResponse':
      case 'NegotiateProtocolVersion':
        break;
      case 'AuthenticationCleartextPassword':
        send(fe.passwordMessage(password()));
        break;
      case 'AuthenticationMD5Password':
        send(fe.passwordMessage(md5Password(options.user, password(), message.salt)));
        break;
      case 'AuthenticationSASL':
        if (!message.mechanisms.includes(SCRAM_SHA_256)) {
          throw new UpstreamError('unsupported-auth', `upstream ${where} offers only SASL mechanisms ${message.mechanisms.map((m) => `\`${m}\``).join(', ')}`, {
            hint: 'allow SCRAM-SHA-256 without channel binding for Parapet\'s upstream role',
          });
        }
        scram = new ScramClientSession(password());
        send(fe.saslInitialResponse(SCRAM_SHA_256, scram.clientFirst()));
        break;
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
        session.secretKey = Buffer.from(message.secretKey);
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
