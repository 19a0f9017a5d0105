/**
 * Builds one message: type byte (or none, for startup-phase frames), length word, body. The length
 * is filled in by `finish()`. Values the wire cannot carry throw `invalid-value` instead of
 * producing a corrupt frame.
 */
import { ProtocolError } from './errors.js';
export class MessageWriter {
    #buf;
    #offset;
    #tagged;
    /** `code` is the type byte, or `null` for an untagged startup-phase frame. */
    constructor(code, sizeHint = 64) {
        this.#tagged = code !== null;
        this.#buf = Buffer.allocUnsafe(Math.max(sizeHint, 16) + 5);
        if (code !== null)
            this.#buf[0] = code;
        this.#offset = this.#tagged ? 5 : 4;
    }
    byte(value) {
        checkRange(value, 0, 0xff, 'byte');
        this.#ensure(1);
        this.#buf[this.#offset++] = value;
        return this;
    }
    int16(value) {
        checkRange(value, -0x8000, 0x7fff, 'int16');
        this.#ensure(2);
        this.#offset = this.#buf.writeInt16BE(value, this.#offset);
        return this;
    }
    /** An unsigned 16-bit count of the items that follow. */
    count16(value) {
        checkRange(value, 0, 0xffff, 'count');
        this.#ensure(2);
        this.#offset = this.#buf.writeUInt16BE(value, this.#offset);
        return this;
    }
    /** A count then that many int16 values (format code lists). */
    int16List(values) {
        this.count16(values.length);
        for (const value of values)
            this.int16(value);
        return this;
    }
    int32(value) {
        checkRange(value, -0x80000000, 0x7fffffff, 'int32');
        this.#ensure(4);
        this.#offset = this.#buf.writeInt32BE(value, this.#offset);
        return this;
    }
    uint32(value) {
        checkRange(value, 0, 0xffffffff, 'uint32');
        this.#ensure(4);
        this.#offset = this.#buf.writeUInt32BE(value, this.#offset);
        return this;
    }
    /** A NUL-terminated UTF-8 string; a NUL inside it is refused. */
    cstring(value) {
        if (value.includes('\0'))
            throw new ProtocolError('invalid-value', 'a string sent on the wire cannot contain a NUL character');
        const length = Buffer.byteLength(value, 'utf8');
        this.#ensure(length + 1);
        this.#offset += this.#buf.write(value, this.#offset, 'utf8');
        this.#buf[this.#offset++] = 0;
        return this;
    }
    bytes(value) {
        this.#ensure(value.length);
        this.#buf.set(value, this.#offset);
        this.#offset += value.length;
        return this;
    }
    /** An int32 length then the bytes; `null` is written as length -1. */
    nullableBytes(value) {
        if (value === null)
            return this.int32(-1);
        return this.int32(value.length).bytes(value);
    }
    /** Writes the length word and returns the finished frame. */
    finish() {
        const lengthAt = this.#tagged ? 1 : 0;
        this.#buf.writeInt32BE(this.#offset - lengthAt, lengthAt);
        return this.#buf.subarray(0, this.#offset);
    }
    #ensure(n) {
        if (this.#offset + n <= this.#buf.length)
            return;
        const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#offset + n));
        this.#buf.copy(grown, 0, 0, this.#offset);
        this.#buf = grown;
    }
}
function checkRange(value, min, max, what) {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new ProtocolError('invalid-value', `${value} does not fit in a wire ${what} (${min}..${max})`);
    }
}
