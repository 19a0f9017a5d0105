/**
 * A bare client session for fault, fuzz and scale tests: logs in over SCRAM with the project's own
 * encoders, then hands over the socket so a test can write any bytes and read at its own pace
 * (slowly, or not at all), which no driver allows.
 */
import { connect, type Socket } from 'node:net';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { ScramClientSession } from '../../src/protocol/scram.js';

export interface LoginOptions {
  port: number;
  host?: string;
  user: string;
  password: string;
  database: string;
  parameters?: Record<string, string>;
}

export interface WireSession {
  socket: Socket;
  /** Messages received after the first ReadyForQuery (usually none). */
  pending: BackendMessage[];
  processId: number;
  secretKey: Buffer;
}

/** Connects a TCP socket; rejects on error. */
export function openSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Reads backend messages from a socket one at a time (no buffering beyond what the socket hands over). */
export class MessageStream {
  readonly #reader = new FrameReader({ maxFrameBytes: 1 << 30, startup: false });
  #queue: BackendMessage[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  readonly #onData = (chunk: Buffer): void => {
    for (const frame of this.#reader.push(chunk)) this.#queue.push(decodeBackend(frame));
    this.#wake?.();
  };
  readonly #onClose = (): void => {
    this.#closed = true;
    this.#wake?.();
  };

  constructor(readonly socket: Socket) {
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', () => {});
  }

  async next(): Promise<BackendMessage | undefined> {
    for (;;) {
      const message = this.#queue.shift();
      if (message) return message;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Stops listening; returns what was read but not taken. */
  detach(): BackendMessage[] {
    this.socket.off('data', this.#onData);
    this.socket.off('close', this.#onClose);
    this.socket.pause();
    return this.#queue.splice(0);
  }
}

/** Logs in; rejects with the server's ErrorResponse message (and `code`) when the login fails. */
export async function login(options: LoginOptions): Promise<WireSession> {
  const socket = await openSocket(options.port, options.host);
  const stream = new MessageStream(socket);
  socket.write(fe.startupMessage({ user: options.user, database: options.database, ...options.parameters }));
  let scram: ScramClientSession | undefined;
  let key: { processId: number; secretKey: Buffer } | undefined;
  for (;;) {
    const message = await stream.next();
    if (!message) throw new Error('the server closed the connection during login');
    switch (message.type) {
      case 'AuthenticationSASL':
        scram = new ScramClientSession(options.password);
        socket.write(fe.saslInitialResponse('SCRAM-SHA-256', scram.clientFirst()));
        break;
      case 'AuthenticationSASLContinue':
        scram!.serverFirst(message.data);
        socket.write(fe.saslResponse(scram!.clientFinal()));
        break;
      case 'BackendKeyData':
        key = { processId: message.processId, secretKey: Buffer.from(message.secretKey) };
        break;
      case 'ErrorResponse': {
        socket.destroy();
        throw Object.assign(new Error(message.fields.message), { code: message.fields.code });
      }
      case 'ReadyForQuery':
        return { socket, pending: stream.detach(), processId: key?.processId ?? 0, secretKey: key?.secretKey ?? Buffer.alloc(0) };
      default:
        break;
    }
  }
}
