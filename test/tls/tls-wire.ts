/**
 * A wire-level client for the TLS tests: plaintext, SSLRequest-then-TLS, or direct TLS with chosen
 * ALPN protocols; then a startup packet and a SCRAM login whose GS2 flag the test picks (`p` with the
 * channel's binding data, `y`, `n`), so downgrade and binding cases can be driven exactly.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramClientSession } from '../../src/protocol/scram.js';
import { tlsServerEndPoint } from '../../src/tls/certificate-hash.js';

export type Transport = { kind: 'plain' } | { kind: 'ssl-request'; tls: ConnectionOptions } | { kind: 'direct'; tls: ConnectionOptions };

export class WireClient {
  readonly #reader = new FrameReader({ maxFrameBytes: 1 << 30, startup: false });
  #messages: BackendMessage[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
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
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Opens a connection over `transport`. Rejects when the TLS handshake fails (with the TLS error). */
  static async open(port: number, transport: Transport): Promise<WireClient> {
    if (transport.kind === 'direct') return new WireClient(await handshake({ port, host: '127.0.0.1', ...transport.tls }));
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    if (transport.kind === 'plain') return new WireClient(socket);
    socket.write(fe.sslRequest());
    const answer = await new Promise<Buffer>((resolve, reject) => {
      socket.once('data', resolve);
      socket.once('close', () => reject(new Error('closed before answering the SSLRequest')));
    });
    if (answer.toString('latin1') !== 'S') throw new Error(`SSLRequest answered \`${answer.toString('latin1')}\``);
    return new WireClient(await handshake({ socket, ...transport.tls }));
  }

  /** The TLS socket, when encrypted. */
  get tls(): TLSSocket | undefined {
    return 'encrypted' in this.socket ? (this.socket as TLSSocket) : undefined;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  async next(): Promise<BackendMessage | undefined> {
    for (;;) {
      const message = this.#messages.shift();
      if (message) return message;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * Startup and login. `binding`: `plus` binds to the channel (the default on TLS when offered), `y`
   * claims the server cannot bind, `n` does not support binding. Returns the messages up to
   * ReadyForQuery or the first ErrorResponse, and the mechanisms the server offered.
   */
  async login(options: { user: string; password: string; database: string; binding?: 'plus' | 'y' | 'n' }): Promise<{ messages: BackendMessage[]; mechanisms: string[] }> {
    this.send(fe.startupMessage({ user: options.user, database: options.database }));
    const messages: BackendMessage[] = [];
    let mechanisms: string[] = [];
    for (;;) {
      const message = await this.next();
      if (!message) return { messages, mechanisms };
      messages.push(message);
      if (message.type === 'ErrorResponse' || message.type === 'ReadyForQuery') return { messages, mechanisms };
      if (message.type !== 'AuthenticationSASL') continue;
      mechanisms = message.mechanisms;
      const binding = options.binding ?? (this.tls && mechanisms.includes(SCRAM_SHA_256_PLUS) ? 'plus' : 'n');
      const scram = new ScramClientSession(options.password, {
        ...(binding === 'plus' ? { channelBinding: tlsServerEndPoint(this.tls!.getPeerX509Certificate()!.raw) } : {}),
        onTls: binding === 'y',
      });
      this.send(fe.saslInitialResponse(binding === 'plus' ? SCRAM_SHA_256_PLUS : SCRAM_SHA_256, scram.clientFirst()));
      const cont = await this.next();
      if (!cont || cont.type !== 'AuthenticationSASLContinue') {
        if (cont) messages.push(cont);
        return { messages, mechanisms };
      }
      scram.serverFirst(cont.data);
      this.send(fe.saslResponse(scram.clientFinal()));
    }
  }

  async query(sql: string): Promise<BackendMessage[]> {
    this.send(fe.query(sql));
    const out: BackendMessage[] = [];
    for (let m = await this.next(); m; m = await this.next()) {
      out.push(m);
      if (m.type === 'ReadyForQuery') break;
    }
    return out;
  }

  /** Everything until the server closes the connection. */
  async rest(): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (let m = await this.next(); m; m = await this.next()) out.push(m);
    return out;
  }

  close(): void {
    if (!this.#closed) this.socket.end(fe.terminate());
  }
}

function handshake(options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(options, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The SQLSTATE of the first ErrorResponse in a list. */
export function errorCode(messages: BackendMessage[]): string | undefined {
  const error = messages.find((m) => m.type === 'ErrorResponse');
  return error?.type === 'ErrorResponse' ? error.fields.code : undefined;
}

export function isReady(messages: BackendMessage[]): boolean {
  return messages.some((m) => m.type === 'ReadyForQuery');
}
