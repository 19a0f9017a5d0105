/**
 * Pull-style reading of a client's first messages (startup and authentication): the socket is read
 * only while the session waits for a frame, so the startup phase of the frame reader can end before
 * the next frame is cut. Hands over any frames already read when the relay takes the socket.
 */
import type { Socket } from 'node:net';
import type { Frame, FrameReader } from '../protocol/frame-reader.js';

export class FramePuller {
  #frames: Frame[] = [];
  #waiting: { resolve(frame: Frame): void; reject(error: unknown): void } | undefined;
  #failure: unknown;
  readonly #onData = (chunk: Buffer): void => this.#take(() => this.reader.push(chunk));
  readonly #onEnd = (): void => this.#fail(new Error('client closed the connection'));

  constructor(
    private readonly socket: Socket,
    readonly reader: FrameReader,
  ) {
    socket.pause();
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
  }

  /** The next frame; rejects with the reader's ProtocolError, or when the client leaves. */
  next(): Promise<Frame> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#frames.length === 0) this.#take(() => this.reader.drain());
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.socket.resume();
    });
  }

  /** Stops reading; returns frames read but not yet taken. The socket stays paused. */
  detach(): Frame[] {
    this.socket.pause();
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onEnd);
    const rest = this.#frames;
    this.#frames = [];
    return rest;
  }

  #take(read: () => Frame[]): void {
    try {
      this.#frames.push(...read());
    } catch (error) {
      this.#fail(error);
      return;
    }
    const waiting = this.#waiting;
    if (waiting && this.#frames.length > 0) {
      this.#waiting = undefined;
      this.socket.pause();
      waiting.resolve(this.#frames.shift()!);
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(this.#failure);
  }
}
