/**
 * Server → client message builders, for Parapet's own replies to clients. Each returns one complete
 * frame (or, for the SSL/GSS answers, the single byte the protocol expects).
 */
import { AuthCode, BackendCode } from './codes.js';
import type { TransactionStatus } from './codes.js';
import { MessageWriter } from './message-writer.js';
import { encodeErrorFields } from './pg-error.js';
import type { PgErrorFields } from './pg-error.js';
import type { FieldDescription } from './backend.js';

export { copyData, copyDone } from './encode-frontend.js';

/** The one-byte answer to SSLRequest: `S` to start TLS, `N` to continue in plaintext. */
export function sslResponse(accept: boolean): Buffer {
  return Buffer.from(accept ? 'S' : 'N', 'latin1');
}

/** The one-byte answer to GSSENCRequest: `G` to start GSSAPI encryption, `N` to continue in plaintext. */
export function gssencResponse(accept: boolean): Buffer {
  return Buffer.from(accept ? 'G' : 'N', 'latin1');
}

function authentication(code: number, extra = 0): MessageWriter {
  return new MessageWriter(BackendCode.Authentication, 4 + extra).int32(code);
}

export function authenticationOk(): Buffer {
  return authentication(AuthCode.Ok).finish();
}

export function authenticationCleartextPassword(): Buffer {
  return authentication(AuthCode.CleartextPassword).finish();
}

export function authenticationMD5Password(salt: Uint8Array): Buffer {
  return authentication(AuthCode.MD5Password, 4).bytes(salt).finish();
}

/** AuthenticationSASL listing the mechanisms offered, e.g. `['SCRAM-SHA-256']`. */
export function authenticationSASL(mechanisms: readonly string[]): Buffer {
  const writer = authentication(AuthCode.SASL, 32);
  for (const mechanism of mechanisms) writer.cstring(mechanism);
  return writer.byte(0).finish();
}

/** Carries the SCRAM server-first-message. */
export function authenticationSASLContinue(data: Uint8Array): Buffer {
  return authentication(AuthCode.SASLContinue, data.length).bytes(data).finish();
}

/** Carries the SCRAM server-final-message. */
export function authenticationSASLFinal(data: Uint8Array): Buffer {
  return authentication(AuthCode.SASLFinal, data.length).bytes(data).finish();
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter(BackendCode.ParameterStatus).cstring(name).cstring(value).finish();
}

export function backendKeyData(processId: number, secretKey: Uint8Array): Buffer {
  return new MessageWriter(BackendCode.BackendKeyData, 4 + secretKey.length).int32(processId).bytes(secretKey).finish();
}

export function readyForQuery(status: TransactionStatus): Buffer {
  return new MessageWriter(BackendCode.ReadyForQuery, 1).byte(status.charCodeAt(0)).finish();
}

/** A RowDescription; omitted field attributes default to a text column without table origin. */
export function rowDescription(fields: ReadonlyArray<Partial<FieldDescription> & { name: string }>): Buffer {
  const writer = new MessageWriter(BackendCode.RowDescription, 2 + fields.length * 32).count16(fields.length);
  for (const field of fields) {
    writer
      .cstring(field.name)
      .uint32(field.tableOid ?? 0)
      .int16(field.columnNumber ?? 0)
      .uint32(field.typeOid ?? 25)
      .int16(field.typeSize ?? -1)
      .int32(field.typeModifier ?? -1)
      .int16(field.format ?? 0);
  }
  return writer.finish();
}

/** A DataRow; strings are sent as UTF-8 text, `null` as SQL NULL. */
export function dataRow(values: ReadonlyArray<Uint8Array | string | null>): Buffer {
  const encoded = values.map((value) => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value));
  const size = encoded.reduce((n, value) => n + 4 + (value?.length ?? 0), 2);
  const writer = new MessageWriter(BackendCode.DataRow, size).count16(encoded.length);
  for (const value of encoded) writer.nullableBytes(value);
  return writer.finish();
}

/** CommandComplete with a tag such as `SELECT 3` or `INSERT 0 1`. */
export function commandComplete(tag: string): Buffer {
  return new MessageWriter(BackendCode.CommandComplete, tag.length + 1).cstring(tag).finish();
}

export function errorResponse(fields: PgErrorFields): Buffer {
  return encodeErrorFields(BackendCode.ErrorResponse, fields);
}

export function noticeResponse(fields: PgErrorFields): Buffer {
  return encodeErrorFields(BackendCode.NoticeResponse, fields);
}

export function emptyQueryResponse(): Buffer {
  return new MessageWriter(BackendCode.EmptyQueryResponse, 0).finish();
}

export function parseComplete(): Buffer {
  return new MessageWriter(BackendCode.ParseComplete, 0).finish();
}

export function bindComplete(): Buffer {
  return new MessageWriter(BackendCode.BindComplete, 0).finish();
}

export function closeComplete(): Buffer {
  return new MessageWriter(BackendCode.CloseComplete, 0).finish();
}

export function noData(): Buffer {
  return new MessageWriter(BackendCode.NoData, 0).finish();
}

export function portalSuspended(): Buffer {
  return new MessageWriter(BackendCode.PortalSuspended, 0).finish();
}

export function parameterDescription(typeOids: readonly number[]): Buffer {
  const writer = new MessageWriter(BackendCode.ParameterDescription, 2 + typeOids.length * 4).count16(typeOids.length);
  for (const oid of typeOids) writer.uint32(oid);
  return writer.finish();
}

function copyResponse(code: number, format: number, columnFormats: readonly number[]): Buffer {
  return new MessageWriter(code, 3 + columnFormats.length * 2).byte(format).int16List(columnFormats).finish();
}

export function copyInResponse(format: number, columnFormats: readonly number[]): Buffer {
  return copyResponse(BackendCode.CopyInResponse, format, columnFormats);
}

export function copyOutResponse(format: number, columnFormats: readonly number[]): Buffer {
  return copyResponse(BackendCode.CopyOutResponse, format, columnFormats);
}

export function copyBothResponse(format: number, columnFormats: readonly number[]): Buffer {
  return copyResponse(BackendCode.CopyBothResponse, format, columnFormats);
}

export function notificationResponse(processId: number, channel: string, payload: string): Buffer {
  return new MessageWriter(BackendCode.NotificationResponse).int32(processId).cstring(channel).cstring(payload).finish();
}

/** Tells the client the newest minor version of its major version that is supported, and which `_pq_.` options were not recognized. */
export function negotiateProtocolVersion(newestMinor: number, unrecognizedOptions: readonly string[]): Buffer {
  const writer = new MessageWriter(BackendCode.NegotiateProtocolVersion).int32(newestMinor).uint32(unrecognizedOptions.length);
  for (const option of unrecognizedOptions) writer.cstring(option);
  return writer.finish();
}

export function functionCallResponse(value: Uint8Array | null): Buffer {
  return new MessageWriter(BackendCode.FunctionCallResponse, 4 + (value?.length ?? 0)).nullableBytes(value).finish();
}
