/**
 * Decodes server → client messages. DataRow is lazy: the proxy forwards `frame.raw` untouched and
 * only splits the columns when it must look inside (masking, caps).
 */
import { AuthCode, BackendCode, describeCode } from './codes.js';
import type { TransactionStatus } from './codes.js';
import { ProtocolError } from './errors.js';
import type { Frame } from './frame-reader.js';
import { PayloadReader } from './payload-reader.js';
import { parsePgErrorFields } from './pg-error.js';
import type { PgErrorFields } from './pg-error.js';

export interface AuthenticationOk { type: 'AuthenticationOk' }
export interface AuthenticationCleartextPassword { type: 'AuthenticationCleartextPassword' }
export interface AuthenticationMD5Password { type: 'AuthenticationMD5Password'; salt: Buffer }
export interface AuthenticationSASL { type: 'AuthenticationSASL'; mechanisms: string[] }
export interface AuthenticationSASLContinue { type: 'AuthenticationSASLContinue'; data: Buffer }
export interface AuthenticationSASLFinal { type: 'AuthenticationSASLFinal'; data: Buffer }
/** Kerberos, GSSAPI, SSPI: methods Parapet does not speak. `method` is the request code. */
export interface AuthenticationUnsupported { type: 'AuthenticationUnsupported'; method: number }
export interface ParameterStatus { type: 'ParameterStatus'; name: string; value: string }
export interface BackendKeyData { type: 'BackendKeyData'; processId: number; secretKey: Buffer }
export interface ReadyForQuery { type: 'ReadyForQuery'; status: TransactionStatus }

/** One column of a RowDescription. `tableOid`/`columnNumber` are 0 when the column has no table origin. */
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: number;
}
export interface RowDescription { type: 'RowDescription'; fields: FieldDescription[] }
export interface DataRow {
  type: 'DataRow';
  columnCount: number;
  /** The column values, split from the payload on first access (a malformed row throws `ProtocolError` then). */
  readonly values: (Buffer | null)[];
}
export interface CommandComplete { type: 'CommandComplete'; tag: string }
export interface ErrorResponse { type: 'ErrorResponse'; fields: PgErrorFields }
export interface NoticeResponse { type: 'NoticeResponse'; fields: PgErrorFields }
export interface EmptyQueryResponse { type: 'EmptyQueryResponse' }
export interface ParseComplete { type: 'ParseComplete' }
export interface BindComplete { type: 'BindComplete' }
export interface CloseComplete { type: 'CloseComplete' }
export interface NoData { type: 'NoData' }
export interface ParameterDescription { type: 'ParameterDescription'; typeOids: number[] }
export interface PortalSuspended { type: 'PortalSuspended' }
export interface CopyResponse {
  type: 'CopyInResponse' | 'CopyOutResponse' | 'CopyBothResponse';
  /** 0 text, 1 binary: the overall format. */
  format: number;
  columnFormats: number[];
}
export interface BackendCopyData { type: 'CopyData'; data: Buffer }
export interface BackendCopyDone { type: 'CopyDone' }
export interface NotificationResponse { type: 'NotificationResponse'; processId: number; channel: string; payload: string }
export interface NegotiateProtocolVersion { type: 'NegotiateProtocolVersion'; newestMinor: number; unrecognizedOptions: string[] }
export interface FunctionCallResponse { type: 'FunctionCallResponse'; value: Buffer | null }

/** Every message a server can send. */
export type BackendMessage =
  | AuthenticationOk
  | AuthenticationCleartextPassword
  | AuthenticationMD5Password
  | AuthenticationSASL
  | AuthenticationSASLContinue
  | AuthenticationSASLFinal
  | AuthenticationUnsupported
  | ParameterStatus
  | BackendKeyData
  | ReadyForQuery
  | RowDescription
  | DataRow
  | CommandComplete
  | ErrorResponse
  | NoticeResponse
  | EmptyQueryResponse
  | ParseComplete
  | BindComplete
  | CloseComplete
  | NoData
  | ParameterDescription
  | PortalSuspended
  | CopyResponse
  | BackendCopyData
  | BackendCopyDone
  | NotificationResponse
  | NegotiateProtocolVersion
  | FunctionCallResponse;

const NAMES = new Map<number, string>(Object.entries(BackendCode).map(([name, code]) => [code, name]));

/** Decodes one server frame; throws `ProtocolError` (`unknown-message`, `malformed-message`). */
export function decodeBackend(frame: Frame): BackendMessage {
  const what = NAMES.get(frame.code);
  if (what === undefined) throw new ProtocolError('unknown-message', `invalid backend message type ${describeCode(frame.code)}`);
  const reader = new PayloadReader(frame.payload, what);
  const message = decodeBody(frame.code, reader, frame.payload);
  reader.end();
  return message;
}

function decodeBody(code: number, reader: PayloadReader, payload: Buffer): BackendMessage {
  switch (code) {
    case BackendCode.Authentication:
      return decodeAuthentication(reader);
    case BackendCode.ParameterStatus:
      return { type: 'ParameterStatus', name: reader.cstring(), value: reader.cstring() };
    case BackendCode.BackendKeyData:
      return { type: 'BackendKeyData', processId: reader.int32(), secretKey: reader.rest() };
    case BackendCode.ReadyForQuery: {
      const status = String.fromCharCode(reader.byte());
      if (status !== 'I' && status !== 'T' && status !== 'E') {
        throw new ProtocolError('malformed-message', `malformed ReadyForQuery message: unknown transaction status \`${status}\``);
      }
      return { type: 'ReadyForQuery', status };
    }
    case BackendCode.RowDescription: {
      const fields = reader.many(reader.count16(), () => ({
        name: reader.cstring(),
        tableOid: reader.uint32(),
        columnNumber: reader.int16(),
        typeOid: reader.uint32(),
        typeSize: reader.int16(),
        typeModifier: reader.int32(),
        format: reader.int16(),
      }));
      return { type: 'RowDescription', fields };
    }
    case BackendCode.DataRow: {
      const columnCount = reader.count16();
      reader.rest();
      return new LazyDataRow(payload, columnCount);
    }
    case BackendCode.CommandComplete:
      return { type: 'CommandComplete', tag: reader.cstring() };
    case BackendCode.ErrorResponse:
      return { type: 'ErrorResponse', fields: parsePgErrorFields(reader.rest(), 'ErrorResponse') };
    case BackendCode.NoticeResponse:
      return { type: 'NoticeResponse', fields: parsePgErrorFields(reader.rest(), 'NoticeResponse') };
    case BackendCode.EmptyQueryResponse:
      return { type: 'EmptyQueryResponse' };
    case BackendCode.ParseComplete:
      return { type: 'ParseComplete' };
    case BackendCode.BindComplete:
      return { type: 'BindComplete' };
    case BackendCode.CloseComplete:
      return { type: 'CloseComplete' };
    case BackendCode.NoData:
      return { type: 'NoData' };
    case BackendCode.ParameterDescription:
      return { type: 'ParameterDescription', typeOids: reader.many(reader.count16(), () => reader.uint32()) };
    case BackendCode.PortalSuspended:
      return { type: 'PortalSuspended' };
    case BackendCode.CopyInResponse:
    case BackendCode.CopyOutResponse:
    case BackendCode.CopyBothResponse: {
      const type = code === BackendCode.CopyInResponse ? 'CopyInResponse' : code === BackendCode.CopyOutResponse ? 'CopyOutResponse' : 'CopyBothResponse';
      const format = reader.byte();
      return { type, format, columnFormats: reader.many(reader.count16(), () => reader.int16()) };
    }
    case BackendCode.CopyData:
      reader.rest();
      return { type: 'CopyData', data: payload };
    case BackendCode.CopyDone:
      return { type: 'CopyDone' };
    case BackendCode.NotificationResponse:
      return { type: 'NotificationResponse', processId: reader.int32(), channel: reader.cstring(), payload: reader.cstring() };
    case BackendCode.NegotiateProtocolVersion: {
      const newestMinor = reader.int32();
      return { type: 'NegotiateProtocolVersion', newestMinor, unrecognizedOptions: reader.many(reader.uint32(), () => reader.cstring()) };
    }
    case BackendCode.FunctionCallResponse:
      return { type: 'FunctionCallResponse', value: reader.nullableBytes() };
    default:
      throw new ProtocolError('unknown-message', `invalid backend message type ${describeCode(code)}`);
  }
}

function decodeAuthentication(reader: PayloadReader): BackendMessage {
  const method = reader.int32();
  switch (method) {
    case AuthCode.Ok:
      return { type: 'AuthenticationOk' };
    case AuthCode.CleartextPassword:
      return { type: 'AuthenticationCleartextPassword' };
    case AuthCode.MD5Password:
      return { type: 'AuthenticationMD5Password', salt: reader.bytes(4) };
    case AuthCode.SASL: {
      const mechanisms: string[] = [];
      for (let name = reader.cstring(); name !== ''; name = reader.cstring()) mechanisms.push(name);
      return { type: 'AuthenticationSASL', mechanisms };
    }
    case AuthCode.SASLContinue:
      return { type: 'AuthenticationSASLContinue', data: reader.rest() };
    case AuthCode.SASLFinal:
      return { type: 'AuthenticationSASLFinal', data: reader.rest() };
    default:
      reader.rest();
      return { type: 'AuthenticationUnsupported', method };
  }
}

/** Splits a DataRow payload into column values (views, no copy). */
export function decodeDataRow(payload: Buffer): (Buffer | null)[] {
  const reader = new PayloadReader(payload, 'DataRow');
  const values = reader.many(reader.count16(), () => reader.nullableBytes());
  reader.end();
  return values;
}

class LazyDataRow implements DataRow {
  readonly type = 'DataRow' as const;
  #values: (Buffer | null)[] | undefined;

  constructor(
    private readonly payload: Buffer,
    readonly columnCount: number,
  ) {}

  get values(): (Buffer | null)[] {
    this.#values ??= decodeDataRow(this.payload);
    return this.#values;
  }
}

