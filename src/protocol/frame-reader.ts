/**
 * Incremental framer for the PostgreSQL v3 protocol: bytes in, whole frames out, no sockets.
 * Works in both directions (client → server and server → client); decoding the payload is the job
 * of `frontend.ts` / `backend.ts`.
 */
import { MAX_STARTUP_PACKET_BYTES, describeCode } from './codes.js';
import { ProtocolError } from './errors.js';

/** One message as it travelled on the wire. */
export interface Frame {
  /** Type byte; 0 for the untagged frames of the startup phase. */
  code: number;
  /** Message body after the length word (a view into the pushed chunk, not a copy). */
  payload: Buffer;
  /** Header and body exactly as received, for forwarding without re-encoding. */
  raw: Buffer;
}

export interface FrameReaderOptions {
  /**
   * Largest accepted value of a tagged frame's length word (body plus the 4 length bytes).
   * A longer frame fails with `frame-too-large` as soon as its header arrives.
   */
  maxFrameBytes: number;
  /** Start in the startup phase: frames are untagged (length first) until `endStartup()`. */
  startup: boolean;
  /** Limit for startup-phase frames; PostgreSQL's own limit (10000) by default. */
  maxStartupBytes?: number;
}

/** First byte of a TLS handshake record: a client that starts TLS without an SSLRequest. */
const TLS_HANDSHAKE = 0x16;

/**
 * Splits a byte stream into frames. Frames may be split across chunks at any byte and a chunk
 * may hold many frames. A frame that lies within one chunk is returned as views of that chunk; only
 * the bytes of a frame that spans chunks are copied, once, when it is complete.
 *
 * In the startup phase at most one frame is returned per call, because the next frame may already be
 * tagged: handle it, call `endStartup()` if it was the StartupMessage, then `drain()` for the rest.
 *
 * After a `ProtocolError` the reader is unusable: every later call throws the same error.
 * Pushed chunks must not be modified afterwards (frames are views of them).
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #startup: boolean;
  #failure: ProtocolError | undefined;
  readonly #maxFrameBytes: number;
  readonly #maxStartupBytes: number;

  constructor(options: FrameReaderOptions) {
    this.#startup = options.startup;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#maxStartupBytes = options.maxStartupBytes ?? MAX_STARTUP_PACKET_BYTES;
  }

  /** True until `endStartup()`. */
  get inStartup(): boolean {
    return this.#startup;
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds a chunk and returns every frame now complete. */
  push(chunk: Buffer): Frame[] {
    if (this.#failure) throw this.#failure;
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    return this.drain();
  }

  /** Returns the frames complete in what is already buffered (after `endStartup()`, say). */
  drain(): Frame[] {
    if (this.#failure) throw this.#failure;
    if (this.#buffered === 0) return [];
    try {
      return this.#parse();
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
  }

  /**
   * Puts bytes back in front of what is buffered, to be returned again by the next `drain()` or
   * `push()`: how a consumer that read past its stopping point hands the rest to the next one.
   */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks.unshift(bytes);
    this.#buffered += bytes.length;
  }

  /** Leaves the startup phase: from now on frames carry a type byte. */
  endStartup(): void {
    this.#startup = false;
  }

  #parse(): Frame[] {
    const frames: Frame[] = [];
    // A frame spanning chunks is copied out on its own; whatever follows it in the last chunk is
    // then read in place.
    while (this.#chunks.length > 1) {
      const needed = this.#neededBytes();
      if (needed === undefined || this.#buffered < needed) return frames;
      const bytes = this.#take(needed);
      const headerBytes = this.#startup ? 4 : 5;
      frames.push({ code: this.#startup ? 0 : bytes[0]!, payload: bytes.subarray(headerBytes), raw: bytes });
      if (this.#startup) return frames;
    }
    if (this.#chunks.length === 0) return frames;
    const buf = this.#chunks[0]!;
    let offset = 0;
    for (;;) {
      const headerBytes = this.#startup ? 4 : 5;
      if (buf.length - offset < headerBytes) break;
      const code = this.#startup ? 0 : buf[offset]!;
      const length = buf.readInt32BE(offset + headerBytes - 4);
      this.#checkLength(code, length, buf[offset]!);
      const end = offset + headerBytes - 4 + length;
      if (end > buf.length) break;
      frames.push({ code, payload: buf.subarray(offset + headerBytes, end), raw: buf.subarray(offset, end) });
      offset = end;
      if (this.#startup) break;
    }
    const rest = buf.length - offset;
    this.#chunks = rest === 0 ? [] : [offset === 0 ? buf : buf.subarray(offset)];
    this.#buffered = rest;
    return frames;
  }

  /** Removes the first `n` buffered bytes and returns them as one new buffer. */
  #take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const used = chunk.copy(out, filled, 0, Math.min(chunk.length, n - filled));
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    this.#buffered -= n;
    return out;
  }

  /** Total size of the first buffered frame, once its header is in; validates the header. */
  #neededBytes(): number | undefined {
    const headerBytes = this.#startup ? 4 : 5;
    if (this.#buffered < headerBytes) return undefined;
    const header = Buffer.alloc(headerBytes);
    let filled = 0;
    for (const chunk of this.#chunks) {
      filled += chunk.copy(header, filled, 0, Math.min(chunk.length, headerBytes - filled));
      if (filled === headerBytes) break;
    }
    const length = header.readInt32BE(headerBytes - 4);
    this.#checkLength(this.#startup ? 0 : header[0]!, length, header[0]!);
    return headerBytes - 4 + length;
  }

  #checkLength(code: number, length: number, firstByte: number): void {
    if (this.#startup) {
      if (firstByte === TLS_HANDSHAKE) {
        throw new ProtocolError('direct-tls', 'received a TLS handshake where a startup packet was expected', {
          hint: 'connect without TLS (sslmode=disable or prefer); direct TLS is not supported',
        });
      }
      // The body must at least hold the int32 protocol or request code.
      if (length < 8) throw new ProtocolError('bad-length', `invalid length of startup packet: ${length}`);
      if (length > this.#maxStartupBytes) {
        throw new ProtocolError('frame-too-large', `startup packet of ${length} bytes exceeds the limit of ${this.#maxStartupBytes}`);
      }
      return;
    }
    if (length < 4) {
      throw new ProtocolError('bad-length', `invalid message length ${length} for message type ${describeCode(code)}`);
    }
    if (length > this.#maxFrameBytes) {
      throw new ProtocolError(
        'frame-too-large',
        `message of type ${describeCode(code)} with ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`,
      );
    }
  }
}
