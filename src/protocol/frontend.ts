/**
 * Decodes client → server messages. The phase decides how a frame reads: untagged startup packets,
 * the password / SASL message of the authentication exchange, then the normal message set.
 */
import { FrontendCode, StartupCode, describeCode } from './codes.js';
import { ProtocolError } from './errors.js';
import type { Frame } from './frame-reader.js';
import { PayloadReader } from './payload-reader.js';

/** Where the session is: decides how a frame is read. */
export type FrontendPhase = 'startup' | 'auth' | 'ready';

export interface StartupMessage {
  type: 'StartupMessage';
  /** `major << 16 | minor`; 196608 is 3.0. */
  protocolVersion: number;
  /** Startup parameters in the order sent (`user`, `database`, `options`, `_pq_.*` …). */
  parameters: Record<string, string>;
}
export interface SSLRequest { type: 'SSLRequest' }
export interface GSSENCRequest { type: 'GSSENCRequest' }
export interface CancelRequest {
  type: 'CancelRequest';
  processId: number;
  /** 4 bytes in protocol 3.0; up to 256 in 3.2. */
  secretKey: Buffer;
}
/** The `p` message during authentication: a password, or a SASL message (see `decodeSaslInitialResponse`). */
export interface PasswordMessage { type: 'PasswordMessage'; data: Buffer }
export interface Query { type: 'Query'; sql: string }
export interface Parse { type: 'Parse'; name: string; sql: string; paramTypes: number[] }
export interface Bind {
  type: 'Bind';
  portal: string;
  statement: string;
  /** Empty: all text; one entry: applies to all; else one per parameter. 0 text, 1 binary. */
  paramFormats: number[];
  params: (Buffer | null)[];
  resultFormats: number[];
}
export interface Describe { type: 'Describe'; target: 'S' | 'P'; name: string }
export interface Execute { type: 'Execute'; portal: string; /** 0 = no limit. */ maxRows: number }
export interface Close { type: 'Close'; target: 'S' | 'P'; name: string }
export interface Sync { type: 'Sync' }
export interface Flush { type: 'Flush' }
export interface Terminate { type: 'Terminate' }
export interface CopyData { type: 'CopyData'; data: Buffer }
export interface CopyDone { type: 'CopyDone' }
export interface CopyFail { type: 'CopyFail'; message: string }
export interface FunctionCall {
  type: 'FunctionCall';
  functionOid: number;
  argFormats: number[];
  args: (Buffer | null)[];
  resultFormat: number;
}

/** Every message a client can send. */
export type FrontendMessage =
  | StartupMessage
  | SSLRequest
  | GSSENCRequest
  | CancelRequest
  | PasswordMessage
  | Query
  | Parse
  | Bind
  | Describe
  | Execute
  | Close
  | Sync
  | Flush
  | Terminate
  | CopyData
  | CopyDone
  | CopyFail
  | FunctionCall;

/**
 * Decodes one client frame. Throws `ProtocolError`: `unknown-message` for a type byte the phase does
 * not know, `unexpected-message` for a known one out of place, `malformed-message` for a bad body.
 */
export function decodeFrontend(frame: Frame, phase: FrontendPhase): FrontendMessage {
  if (phase === 'startup') {
    if (frame.code !== 0) throw new ProtocolError('unexpected-message', `expected a startup packet, got message type ${describeCode(frame.code)}`);
    return decodeStartup(frame.payload);
  }
  if (frame.code === 0) throw new ProtocolError('unknown-message', 'untagged frame after the startup phase');
  if (phase === 'auth') {
    if (frame.code === FrontendCode.Password) return { type: 'PasswordMessage', data: frame.payload };
    if (frame.code === FrontendCode.Terminate) return decodeReady(frame);
    throw new ProtocolError('unexpected-message', `expected password response, got message type ${describeCode(frame.code)}`);
  }
  return decodeReady(frame);
}

function decodeStartup(payload: Buffer): FrontendMessage {
  const reader = new PayloadReader(payload, 'startup');
  const code = reader.int32();
  switch (code) {
    case StartupCode.SSLRequest:
      reader.end();
      return { type: 'SSLRequest' };
    case StartupCode.GSSENCRequest:
      reader.end();
      return { type: 'GSSENCRequest' };
    case StartupCode.CancelRequest: {
      const processId = reader.int32();
      const secretKey = reader.rest();
      if (secretKey.length < 4 || secretKey.length > 256) {
        throw new ProtocolError('malformed-message', `malformed CancelRequest message: secret key of ${secretKey.length} bytes`);
      }
      return { type: 'CancelRequest', processId, secretKey };
    }
  }
  if (code >>> 16 !== 3) {
    throw new ProtocolError('unsupported-protocol', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0`);
  }
  const parameters: Record<string, string> = {};
  for (;;) {
    if (reader.remaining === 0) {
      throw new ProtocolError('malformed-message', 'invalid startup packet layout: expected terminator as last byte');
    }
    const name = reader.cstring();
    if (name === '') break;
    // defineProperty, not assignment: a parameter named `__proto__` must stay an ordinary key.
    Object.defineProperty(parameters, name, { value: reader.cstring(), enumerable: true, writable: true, configurable: true });
  }
  reader.end();
  return { type: 'StartupMessage', protocolVersion: code, parameters };
}

function decodeReady(frame: Frame): FrontendMessage {
  const what = NAMES.get(frame.code);
  if (what === undefined) throw new ProtocolError('unknown-message', `invalid frontend message type ${describeCode(frame.code)}`);
  const reader = new PayloadReader(frame.payload, what);
  const message = decodeBody(frame.code, reader, frame.payload);
  reader.end();
  return message;
}

function decodeBody(code: number, reader: PayloadReader, payload: Buffer): FrontendMessage {
  switch (code) {
    case FrontendCode.Query:
      return { type: 'Query', sql: reader.cstring() };
    case FrontendCode.Parse: {
      const name = reader.cstring();
      const sql = reader.cstring();
      const paramTypes = reader.many(reader.count16(), () => reader.uint32());
      return { type: 'Parse', name, sql, paramTypes };
    }
    case FrontendCode.Bind: {
      const portal = reader.cstring();
      const statement = reader.cstring();
      const paramFormats = reader.many(reader.count16(), () => reader.int16());
      const params = reader.many(reader.count16(), () => reader.nullableBytes());
      const resultFormats = reader.many(reader.count16(), () => reader.int16());
      return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
    }
    case FrontendCode.Describe:
      return { type: 'Describe', target: target(reader, 'Describe'), name: reader.cstring() };
    case FrontendCode.Close:
      return { type: 'Close', target: target(reader, 'Close'), name: reader.cstring() };
    case FrontendCode.Execute:
      return { type: 'Execute', portal: reader.cstring(), maxRows: reader.int32() };
    case FrontendCode.Sync:
      return { type: 'Sync' };
    case FrontendCode.Flush:
      return { type: 'Flush' };
    case FrontendCode.Terminate:
      return { type: 'Terminate' };
    case FrontendCode.CopyData:
      reader.rest();
      return { type: 'CopyData', data: payload };
    case FrontendCode.CopyDone:
      return { type: 'CopyDone' };
    case FrontendCode.CopyFail:
      return { type: 'CopyFail', message: reader.cstring() };
    case FrontendCode.FunctionCall: {
      const functionOid = reader.uint32();
      const argFormats = reader.many(reader.count16(), () => reader.int16());
      const args = reader.many(reader.count16(), () => reader.nullableBytes());
      return { type: 'FunctionCall', functionOid, argFormats, args, resultFormat: reader.int16() };
    }
    default:
      throw new ProtocolError('unknown-message', `invalid frontend message type ${describeCode(code)}`);
  }
}

/** Message names by type byte, for the normal phase (`p` is only valid during authentication). */
const NAMES = new Map<number, string>(
  Object.entries(FrontendCode)
    .filter(([name]) => name !== 'Password')
    .map(([name, code]) => [code, name]),
);

function target(reader: PayloadReader, what: string): 'S' | 'P' {
  const byte = reader.byte();
  if (byte === 0x53) return 'S';
  if (byte === 0x50) return 'P';
  throw new ProtocolError('malformed-message', `invalid ${what} message subtype ${describeCode(byte)}`);
}

/** The body of a SASLInitialResponse (`p` after AuthenticationSASL). */
export interface SaslInitialResponse {
  mechanism: string;
  /** The client-first-message; null when the client sent length -1 (no initial response). */
  response: Buffer | null;
}

/** Decodes a PasswordMessage's data as SASLInitialResponse. */
export function decodeSaslInitialResponse(data: Buffer): SaslInitialResponse {
  const reader = new PayloadReader(data, 'SASLInitialResponse');
  const mechanism = reader.cstring();
  const response = reader.nullableBytes();
  reader.end();
  return { mechanism, response };
}

/** Decodes a PasswordMessage's data as a cleartext or md5 password (a NUL-terminated string). */
export function decodePassword(data: Buffer): string {
  const reader = new PayloadReader(data, 'PasswordMessage');
  const password = reader.cstring();
  reader.end();
  return password;
}
