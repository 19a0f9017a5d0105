/**
 * Message type bytes and startup codes of the PostgreSQL v3 protocol
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html).
 * Frontend and backend tables are separate: some letters mean different things in each direction
 * (`H` is Flush from the client but CopyOutResponse from the server).
 */
/** Client → server type bytes. */
export const FrontendCode = {
    Bind: 0x42, // 'B'
    Close: 0x43, // 'C'
    CopyData: 0x64, // 'd'
    CopyDone: 0x63, // 'c'
    CopyFail: 0x66, // 'f'
    Describe: 0x44, // 'D'
    Execute: 0x45, // 'E'
    Flush: 0x48, // 'H'
    FunctionCall: 0x46, // 'F'
    Parse: 0x50, // 'P'
    /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this byte. */
    Password: 0x70, // 'p'
    Query: 0x51, // 'Q'
    Sync: 0x53, // 'S'
    Terminate: 0x58, // 'X'
};
/** Server → client type bytes. */
export const BackendCode = {
    Authentication: 0x52, // 'R'
    BackendKeyData: 0x4b, // 'K'
    BindComplete: 0x32, // '2'
    CloseComplete: 0x33, // '3'
    CommandComplete: 0x43, // 'C'
    CopyBothResponse: 0x57, // 'W'
    CopyData: 0x64, // 'd'
    CopyDone: 0x63, // 'c'
    CopyInResponse: 0x47, // 'G'
    CopyOutResponse: 0x48, // 'H'
    DataRow: 0x44, // 'D'
    EmptyQueryResponse: 0x49, // 'I'
    ErrorResponse: 0x45, // 'E'
    FunctionCallResponse: 0x56, // 'V'
    NegotiateProtocolVersion: 0x76, // 'v'
    NoData: 0x6e, // 'n'
    NoticeResponse: 0x4e, // 'N'
    NotificationResponse: 0x41, // 'A'
    ParameterDescription: 0x74, // 't'
    ParameterStatus: 0x53, // 'S'
    ParseComplete: 0x31, // '1'
    PortalSuspended: 0x73, // 's'
    ReadyForQuery: 0x5a, // 'Z'
    RowDescription: 0x54, // 'T'
};
/** The int32 after the length of an untagged startup-phase frame. */
export const StartupCode = {
    /** Protocol 3.0: `3 << 16 | 0`. A StartupMessage carries `major << 16 | minor`. */
    ProtocolV3: 196608,
    SSLRequest: 80877103, // 1234 << 16 | 5679
    GSSENCRequest: 80877104, // 1234 << 16 | 5680
    CancelRequest: 80877102, // 1234 << 16 | 5678
};
/** Authentication request codes inside an `R` message. */
export const AuthCode = {
    Ok: 0,
    KerberosV5: 2,
    CleartextPassword: 3,
    MD5Password: 5,
    GSS: 7,
    GSSContinue: 8,
    SSPI: 9,
    SASL: 10,
    SASLContinue: 11,
    SASLFinal: 12,
};
/** Field type bytes of ErrorResponse and NoticeResponse. */
export const ErrorField = {
    Severity: 0x53, // 'S' (localized)
    SeverityRaw: 0x56, // 'V' (never localized, 9.6+)
    Code: 0x43, // 'C'
    Message: 0x4d, // 'M'
    Detail: 0x44, // 'D'
    Hint: 0x48, // 'H'
    Position: 0x50, // 'P'
    InternalPosition: 0x70, // 'p'
    InternalQuery: 0x71, // 'q'
    Where: 0x57, // 'W'
    Schema: 0x73, // 's'
    Table: 0x74, // 't'
    Column: 0x63, // 'c'
    DataType: 0x64, // 'd'
    Constraint: 0x6e, // 'n'
    File: 0x46, // 'F'
    Line: 0x4c, // 'L'
    Routine: 0x52, // 'R'
};
/** Largest startup packet PostgreSQL accepts (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET_BYTES = 10000;
/** Renders a type byte for messages: `'Q' (0x51)`. */
export function describeCode(code) {
    const hex = `0x${code.toString(16).padStart(2, '0')}`;
    return code >= 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}' (${hex})` : hex;
}
