/**
 * PostgreSQL's error and notice fields (ErrorResponse / NoticeResponse), as a plain value and as a
 * throwable `PgError` that writes itself to the wire. Every client-facing error Parapet produces goes
 * through this shape, with a real SQLSTATE.
 */
import { BackendCode, ErrorField } from './codes.js';
import { MessageWriter } from './message-writer.js';
import { PayloadReader } from './payload-reader.js';
/** Optional fields in wire order, with their field type byte. */
const OPTIONAL_FIELDS = [
    ['detail', ErrorField.Detail],
    ['hint', ErrorField.Hint],
    ['position', ErrorField.Position],
    ['internalPosition', ErrorField.InternalPosition],
    ['internalQuery', ErrorField.InternalQuery],
    ['where', ErrorField.Where],
    ['schema', ErrorField.Schema],
    ['table', ErrorField.Table],
    ['column', ErrorField.Column],
    ['dataType', ErrorField.DataType],
    ['constraint', ErrorField.Constraint],
    ['file', ErrorField.File],
    ['line', ErrorField.Line],
    ['routine', ErrorField.Routine],
];
const FIELD_BY_BYTE = new Map(OPTIONAL_FIELDS.map(([name, byte]) => [byte, name]));
/** Encodes an ErrorResponse (`E`) or NoticeResponse (`N`). Severity goes out as both `S` and `V`. */
export function encodeErrorFields(code, fields) {
    const writer = new MessageWriter(code, 128 + fields.message.length);
    writer.byte(ErrorField.Severity).cstring(fields.severity);
    writer.byte(ErrorField.SeverityRaw).cstring(fields.severity);
    writer.byte(ErrorField.Code).cstring(fields.code);
    writer.byte(ErrorField.Message).cstring(fields.message);
    for (const [name, byte] of OPTIONAL_FIELDS) {
        const value = fields[name];
        if (value !== undefined)
            writer.byte(byte).cstring(value);
    }
    return writer.byte(0).finish();
}
/**
 * Decodes the body of an ErrorResponse or NoticeResponse. Unknown field types are skipped (the
 * protocol reserves the right to add some). The non-localized `V` severity wins over `S`.
 */
export function parsePgErrorFields(payload, what = 'ErrorResponse') {
    const reader = new PayloadReader(payload, what);
    const fields = { severity: 'ERROR', code: '', message: '' };
    let localizedSeverity;
    let rawSeverity;
    for (;;) {
        const type = reader.byte();
        if (type === 0)
            break;
        const value = reader.cstring();
        if (type === ErrorField.Severity)
            localizedSeverity = value;
        else if (type === ErrorField.SeverityRaw)
            rawSeverity = value;
        else if (type === ErrorField.Code)
            fields.code = value;
        else if (type === ErrorField.Message)
            fields.message = value;
        else {
            const name = FIELD_BY_BYTE.get(type);
            if (name)
                fields[name] = value;
        }
    }
    reader.end();
    fields.severity = (rawSeverity ?? localizedSeverity ?? 'ERROR');
    return fields;
}
/** A PostgreSQL-shaped error: throw it inside Parapet, write it to a client with `toBuffer()`. */
export class PgError extends Error {
    name = 'PgError';
    fields;
    constructor(fields) {
        super(fields.message);
        this.fields = fields;
    }
    /** SQLSTATE. */
    get code() {
        return this.fields.code;
    }
    get severity() {
        return this.fields.severity;
    }
    /** The ErrorResponse frame. */
    toBuffer() {
        return encodeErrorFields(BackendCode.ErrorResponse, this.fields);
    }
}
