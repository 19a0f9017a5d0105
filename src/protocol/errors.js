/**
 * Errors of the wire codec. Every failure to frame, decode or encode a message is a
 * `ProtocolError` with a stable `code`; callers branch on the code, never on the message text.
 */
const SQLSTATE = {
    'bad-length': '08P01',
    'frame-too-large': '08P01',
    'direct-tls': '08P01',
    'unknown-message': '08P01',
    'unexpected-message': '08P01',
    'malformed-message': '08P01',
    'invalid-utf8': '22021',
    'unsupported-protocol': '0A000',
    'invalid-value': 'XX000',
    'scram-malformed': '08P01',
    'scram-unsupported': '08P01',
    'scram-channel-binding': '08P01',
};
/** A wire-level failure. `sqlstate` is what PostgreSQL reports for the same fault. */
export class ProtocolError extends Error {
    name = 'ProtocolError';
    code;
    hint;
    constructor(code, message, options = {}) {
        super(message, options.cause === undefined ? undefined : { cause: options.cause });
        this.code = code;
        this.hint = options.hint;
    }
    /** SQLSTATE for the ErrorResponse sent to the client (08P01 protocol_violation for most codes). */
    get sqlstate() {
        return SQLSTATE[this.code];
    }
    /** The ErrorResponse fields for the peer; FATAL by default, since the connection closes after most of these. */
    toPgErrorFields(severity = 'FATAL') {
        return { severity, code: this.sqlstate, message: this.message, ...(this.hint === undefined ? {} : { hint: this.hint }) };
    }
}
