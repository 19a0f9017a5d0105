/**
 * Reads frames from an upstream socket one at a time (`await next()`), for Parapet's own exchanges
 * with the server: the login and its internal queries. On `release()` the socket is paused, the
 * listeners are removed and frames read but not consumed go back into the reader, so the next owner
 * of the connection sees the byte stream exactly where this one stopped.
 */
import type { Socket } from 'node:net';
import type { Frame, FrameReader } from '../protocol/frame-reader.js';
import { ProtocolError } from '../protocol/errors.js';
import { UpstreamError } from './errors.js';

export class FrameSource {
  readonly #queue: Frame[] = [];
  #failure: UpstreamError | undefined;
  #wake: (() => void) | undefined;
  #rejectFailed: (error: UpstreamError) => void = () => {};
  /** Rejects with the connection's first failure; never resolves. */
  readonly failed: Promise<never> = new Promise<never>((_, reject) => (this.#rejectFailed = reject));
  readonly #onData = (chunk: Buffer) => {
    try {
      this.#queue.push(...this.reader.push(chunk));
    } catch (error) {
      this.#fail(
        error instanceof ProtocolError
          ? new UpstreamError('protocol', `upstream ${this.where} broke the protocol: ${error.message}`, { cause: error })
          : error,
      );
      this.socket.destroy();
    }
    this.#notify();
  };
  readonly #onError = (error: Error) => this.#fail(this.describeSocketError(error));
  readonly #onClose = () => this.#fail(new UpstreamError('closed', `upstream ${this.where} closed the connection unexpectedly`));

  constructor(
    readonly socket: Socket,
    readonly reader: FrameReader,
    /** `host:port` or the socket path, for messages. */
    readonly where: string,
    /** Maps a socket error to an UpstreamError (connect errors differ from later ones). */
    readonly describeSocketError: (error: Error) => UpstreamError,
  ) {
    this.failed.catch(() => {}); // observed through next() as well; no unhandled rejection
    if (socket.listenerCount('data') > 0) {
      throw new UpstreamError('protocol', `upstream ${where} is already being read by someone else`, {
        hint: 'remove your data listener (and pause the socket) before running Parapet\'s own queries on it',
      });
    }
    try {
      this.#queue.push(...reader.drain());
    } catch (error) {
      throw new UpstreamError('protocol', `upstream ${where} broke the protocol: ${String(error)}`, { cause: error });
    }
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    if (socket.destroyed) this.#onClose();
    socket.resume();
  }

  /** The next frame; rejects with the connection's failure once nothing is left to read. */
  async next(): Promise<Frame> {
    for (;;) {
      const frame = this.#queue.shift();
      if (frame) return frame;
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Fails the pending and later `next()` calls (first failure wins). */
  fail(error: UpstreamError): void {
    this.#fail(error);
  }

  /** Stops reading and hands unconsumed frames back to the reader. */
  release(): void {
    this.socket.pause();
    this.socket.off('data', this.#onData);
    this.socket.off('error', this.#onError);
    this.socket.off('close', this.#onClose);
    if (this.#queue.length > 0) this.reader.unshift(Buffer.concat(this.#queue.map((frame) => frame.raw)));
    this.#queue.length = 0;
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof UpstreamError ? error : new UpstreamError('closed', `upstream ${this.where}: ${String(error)}`, { cause: error });
    this.#rejectFailed(this.#failure);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
