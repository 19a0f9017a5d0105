/**
 * Cursor over one message body. Every read is bounds-checked: a payload that ends early, a string
 * without its NUL or bytes left over at the end is a `malformed-message` ProtocolError.
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './errors.js';
export class PayloadReader {
    buf;
    what;
    #offset = 0;
    /** `what` names the message in errors, e.g. `Bind`. */
    constructor(buf, what) {
        this.buf = buf;
        this.what = what;
    }
    get remaining() {
        return this.buf.length - this.#offset;
    }
    byte() {
        this.#need(1);
        return this.buf[this.#offset++];
    }
    int16() {
        this.#need(2);
        const value = this.buf.readInt16BE(this.#offset);
        this.#offset += 2;
        return value;
    }
    /** An unsigned 16-bit count (PostgreSQL reads counts with `pq_getmsgint(msg, 2)`, unsigned). */
    count16() {
        this.#need(2);
        const value = this.buf.readUInt16BE(this.#offset);
        this.#offset += 2;
        return value;
    }
    int32() {
        this.#need(4);
        const value = this.buf.readInt32BE(this.#offset);
        this.#offset += 4;
        return value;
    }
    uint32() {
        this.#need(4);
        const value = this.buf.readUInt32BE(this.#offset);
        this.#offset += 4;
        return value;
    }
    /** A NUL-terminated UTF-8 string. */
    cstring() {
        const end = this.buf.indexOf(0, this.#offset);
        if (end < 0)
            throw this.#malformed('string without terminating NUL');
        const bytes = this.buf.subarray(this.#offset, end);
        this.#offset = end + 1;
        return utf8(bytes, this.what);
    }
    /** `n` bytes as a view (no copy). */
    bytes(n) {
        if (n < 0)
            throw this.#malformed(`negative length ${n}`);
        this.#need(n);
        const view = this.buf.subarray(this.#offset, this.#offset + n);
        this.#offset += n;
        return view;
    }
    /** An int32 length then that many bytes; -1 is NULL. */
    nullableBytes() {
        const length = this.int32();
        if (length === -1)
            return null;
        return this.bytes(length);
    }
    /** Reads `count` items; the bounds checks of each read stop a count that runs past the end. */
    many(count, read) {
        const items = [];
        for (let i = 0; i < count; i++)
            items.push(read());
        return items;
    }
    /** Everything not yet read. */
    rest() {
        const view = this.buf.subarray(this.#offset);
        this.#offset = this.buf.length;
        return view;
    }
    /** Asserts that the whole payload was consumed. */
    end() {
        if (this.#offset !== this.buf.length)
            throw this.#malformed(`${this.buf.length - this.#offset} unexpected trailing bytes`);
    }
    #need(n) {
        if (this.buf.length - this.#offset < n)
            throw this.#malformed('message ends early');
    }
    #malformed(detail) {
        return new ProtocolError('malformed-message', `malformed ${this.what} message: ${detail}`);
    }
}
/** Decodes UTF-8, refusing invalid sequences instead of replacing them (the server would read them differently). */
export function utf8(bytes, what) {
    if (!isUtf8(bytes))
        throw new ProtocolError('invalid-utf8', `invalid byte sequence for encoding "UTF8" in ${what} message`);
    return bytes.toString('utf8');
}
