/**
 * A wire-level PostgreSQL client for proxy tests: sends exact messages (pipelines, FunctionCall,
 * malformed bytes) and returns the decoded replies, so a test can assert what a driver would hide.
 */
import { connect, type Socket } from 'node:net';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { ScramClientSession } from '../../src/protocol/scram.js';

export interface RawConnectOptions {
  port: number;
  host?: string;
  user: string;
  password: string;
  database: string;
  /** Further startup parameters (options, application_name, replication…). */
  parameters?: Record<string, string>;
  /** Protocol version to ask for (3.0 by default). */
  version?: number;
}

export class RawClient {
  readonly #socket: Socket;
  readonly #reader = new FrameReader({ maxFrameBytes: 1 << 30, startup: false });
  #messages: BackendMessage[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;
  /** Set while `countReply` reads a reply without decoding it. */
  #counting: { bytes: number; error?: string; done(result: { bytes: number; error?: string }): void } | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const counting = this.#counting;
      if (counting) {
        counting.bytes += chunk.length;
        for (const frame of this.#reader.push(chunk)) {
          if (frame.code === 0x45 /* E */) counting.error ??= decodeBackend(frame).type;
          if (frame.code === 0x5a /* Z */) {
            this.#counting = undefined;
            counting.done({ bytes: counting.bytes, ...(counting.error ? { error: counting.error } : {}) });
          }
        }
        return;
      }
      for (const frame of this.#reader.push(chunk)) this.#messages.push(decodeBackend(frame));
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Opens a raw TCP connection without any startup. */
  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and logs in with SCRAM; resolves with the messages up to the first ReadyForQuery (or the error). */
  static async login(options: RawConnectOptions): Promise<{ client: RawClient; messages: BackendMessage[] }> {
    const client = await RawClient.open(options.port, options.host);
    client.send(fe.startupMessage({ user: options.user, database: options.database, ...options.parameters }, options.version));
    const messages: BackendMessage[] = [];
    for (;;) {
      const message = await client.next();
      if (!message) return { client, messages };
      messages.push(message);
      if (message.type === 'ErrorResponse' || message.type === 'ReadyForQuery') return { client, messages };
      if (message.type === 'AuthenticationSASL') {
        const scram = new ScramClientSession(options.password);
        client.send(fe.saslInitialResponse('SCRAM-SHA-256', scram.clientFirst()));
        const cont = await client.next();
        if (!cont || cont.type !== 'AuthenticationSASLContinue') {
          if (cont) messages.push(cont);
          return { client, messages };
        }
        scram.serverFirst(cont.data);
        client.send(fe.saslResponse(scram.clientFinal()));
      }
    }
  }

  send(...messages: Buffer[]): void {
    this.#socket.write(Buffer.concat(messages));
  }

  /** The next message, or undefined once the connection is closed and drained. */
  async next(): Promise<BackendMessage | undefined> {
    for (;;) {
      const message = this.#messages.shift();
      if (message) return message;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Messages up to and including the `count`-th ReadyForQuery (or until the connection closes). */
  async untilReady(count = 1): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    let seen = 0;
    while (seen < count) {
      const message = await this.next();
      if (!message) break;
      out.push(message);
      if (message.type === 'ReadyForQuery') seen++;
    }
    return out;
  }

  /** Sends a simple Query and returns its replies through ReadyForQuery. */
  async query(sql: string): Promise<BackendMessage[]> {
    this.send(fe.query(sql));
    return this.untilReady();
  }

  /** Sends a simple Query and reads its reply through ReadyForQuery without decoding it (benchmarks): the bytes, and whether an error came. */
  countReply(sql: string): Promise<{ bytes: number; error?: string }> {
    return new Promise((resolve) => {
      this.#counting = { bytes: 0, done: resolve };
      this.send(fe.query(sql));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once the server closed the connection. */
  async closedByServer(): Promise<BackendMessage[]> {
    const rest: BackendMessage[] = [];
    for (let m = await this.next(); m; m = await this.next()) rest.push(m);
    return rest;
  }

  close(): void {
    if (!this.#closed) this.#socket.end(fe.terminate());
  }
}

/** The ReadyForQuery status of a reply list (the last one). */
export function statusOf(messages: BackendMessage[]): string | undefined {
  const ready = messages.filter((m) => m.type === 'ReadyForQuery');
  const last = ready[ready.length - 1];
  return last?.type === 'ReadyForQuery' ? last.status : undefined;
}

/** SQLSTATEs of the ErrorResponses in a reply list. */
export function errorCodes(messages: BackendMessage[]): string[] {
  return messages.flatMap((m) => (m.type === 'ErrorResponse' ? [m.fields.code] : []));
}
