/**
 * Client → server message builders, for talking to the upstream server (and for tests). Each returns
 * one complete frame.
 */
import { FrontendCode, StartupCode } from './codes.js';
import { MessageWriter } from './message-writer.js';

/** A StartupMessage for protocol 3.0 (or `version`). Parameters go out in insertion order. */
export function startupMessage(parameters: Record<string, string>, version: number = StartupCode.ProtocolV3): Buffer {
  const writer = new MessageWriter(null, 128).int32(version);
  for (const [name, value] of Object.entries(parameters)) writer.cstring(name).cstring(value);
  return writer.byte(0).finish();
}

export function sslRequest(): Buffer {
  return new MessageWriter(null, 4).int32(StartupCode.SSLRequest).finish();
}

export function gssencRequest(): Buffer {
  return new MessageWriter(null, 4).int32(StartupCode.GSSENCRequest).finish();
}

export function cancelRequest(processId: number, secretKey: Uint8Array): Buffer {
  return new MessageWriter(null, 8 + secretKey.length).int32(StartupCode.CancelRequest).int32(processId).bytes(secretKey).finish();
}

/** A cleartext or md5 password response (a NUL-terminated string), or raw bytes as given. */
export function passwordMessage(data: string | Uint8Array): Buffer {
  const writer = new MessageWriter(FrontendCode.Password);
  return (typeof data === 'string' ? writer.cstring(data) : writer.bytes(data)).finish();
}

export function saslInitialResponse(mechanism: string, response: Uint8Array): Buffer {
  return new MessageWriter(FrontendCode.Password, 32 + response.length).cstring(mechanism).nullableBytes(response).finish();
}

export function saslResponse(data: Uint8Array): Buffer {
  return new MessageWriter(FrontendCode.Password, data.length).bytes(data).finish();
}

export function query(sql: string): Buffer {
  return new MessageWriter(FrontendCode.Query, sql.length + 1).cstring(sql).finish();
}

export function parse(name: string, sql: string, paramTypes: readonly number[] = []): Buffer {
  const writer = new MessageWriter(FrontendCode.Parse, sql.length + name.length + 4 + paramTypes.length * 4);
  writer.cstring(name).cstring(sql).count16(paramTypes.length);
  for (const oid of paramTypes) writer.uint32(oid);
  return writer.finish();
}

export interface BindOptions {
  portal?: string;
  statement?: string;
  /** 0 text, 1 binary; empty = all text, one entry = applies to all. */
  paramFormats?: readonly number[];
  params?: readonly (Uint8Array | string | null)[];
  resultFormats?: readonly number[];
}

/** A Bind; string parameters are sent as UTF-8 text. */
export function bind(options: BindOptions = {}): Buffer {
  const params = (options.params ?? []).map((value) => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value));
  const writer = new MessageWriter(FrontendCode.Bind, 64 + params.reduce((n, p) => n + 4 + (p?.length ?? 0), 0));
  writer.cstring(options.portal ?? '').cstring(options.statement ?? '');
  writer.int16List(options.paramFormats ?? []);
  writer.count16(params.length);
  for (const value of params) writer.nullableBytes(value);
  writer.int16List(options.resultFormats ?? []);
  return writer.finish();
}

export function describe(target: 'S' | 'P', name = ''): Buffer {
  return new MessageWriter(FrontendCode.Describe).byte(target.charCodeAt(0)).cstring(name).finish();
}

export function execute(portal = '', maxRows = 0): Buffer {
  return new MessageWriter(FrontendCode.Execute).cstring(portal).int32(maxRows).finish();
}

export function close(target: 'S' | 'P', name = ''): Buffer {
  return new MessageWriter(FrontendCode.Close).byte(target.charCodeAt(0)).cstring(name).finish();
}

export function sync(): Buffer {
  return new MessageWriter(FrontendCode.Sync, 0).finish();
}

export function flush(): Buffer {
  return new MessageWriter(FrontendCode.Flush, 0).finish();
}

export function terminate(): Buffer {
  return new MessageWriter(FrontendCode.Terminate, 0).finish();
}

/** CopyData; the same frame in both directions (`d`). */
export function copyData(data: Uint8Array): Buffer {
  return new MessageWriter(FrontendCode.CopyData, data.length).bytes(data).finish();
}

/** CopyDone; the same frame in both directions (`c`). */
export function copyDone(): Buffer {
  return new MessageWriter(FrontendCode.CopyDone, 0).finish();
}

export function copyFail(message: string): Buffer {
  return new MessageWriter(FrontendCode.CopyFail, message.length + 1).cstring(message).finish();
}

export interface FunctionCallOptions {
  functionOid: number;
  argFormats?: readonly number[];
  args?: readonly (Uint8Array | null)[];
  resultFormat?: number;
}

export function functionCall(options: FunctionCallOptions): Buffer {
  const args = options.args ?? [];
  const writer = new MessageWriter(FrontendCode.FunctionCall).uint32(options.functionOid);
  writer.int16List(options.argFormats ?? []);
  writer.count16(args.length);
  for (const value of args) writer.nullableBytes(value);
  return writer.int16(options.resultFormat ?? 0).finish();
}
