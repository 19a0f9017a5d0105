/**
 * The upstream client against scripted fake servers: what a real server rarely or never does
 * (wrong SCRAM signature, unsupported methods, garbage, silence, early close, trailing frames).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connectUpstream } from '../../src/upstream/connect.js';
import type { UpstreamOptions } from '../../src/upstream/connect.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { decodeFrontend, decodePassword, decodeSaslInitialResponse } from '../../src/protocol/frontend.js';
import type { StartupMessage } from '../../src/protocol/frontend.js';
import * as be from '../../src/protocol/encode-backend.js';
import { decodeBackend } from '../../src/protocol/backend.js';
import { ScramServerSession, createVerifier, parseVerifier } from '../../src/protocol/scram.js';
import { asFrame, int32, tagged } from '../support/wire.js';

/** Reads the client's frames in order: the startup packet first, then tagged frames. */
class ClientFrames {
  readonly #reader = new FrameReader({ maxFrameBytes: 1 << 20, startup: true });
  readonly #queue: Buffer[] = [];
  #wake: (() => void) | undefined;
  constructor(socket: Socket) {
    socket.on('data', (chunk) => {
      for (let batch = this.#reader.push(chunk); batch.length > 0; batch = this.#reader.drain()) {
        for (const frame of batch) {
          this.#queue.push(Buffer.from(frame.raw));
          if (frame.code === 0) this.#reader.endStartup();
        }
      }
      this.#wake?.();
    });
  }
  async next(): Promise<Buffer> {
    while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#queue.shift()!;
  }
}

async function fakeServer(script: (socket: Socket, frames: ClientFrames) => Promise<void> | void): Promise<{ options: UpstreamOptions; server: Server; startup: Promise<StartupMessage> }> {
  let resolveStartup!: (message: StartupMessage) => void;
  const startup = new Promise<StartupMessage>((resolve) => (resolveStartup = resolve));
  const server = createServer((socket) => {
    socket.on('error', () => {});
    const frames = new ClientFrames(socket);
    void (async () => {
      const first = new FrameReader({ maxFrameBytes: 1 << 20, startup: true }).push(await frames.next());
      resolveStartup(decodeFrontend(first[0]!, 'startup') as StartupMessage);
      await script(socket, frames);
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { options: { host: '127.0.0.1', port, user: 'parapet', password: 'pw', database: 'app', connectTimeoutMs: 2000 }, server, startup };
}

const okTail = (status: 'I' = 'I') =>
  Buffer.concat([
    be.authenticationOk(),
    be.parameterStatus('client_encoding', 'UTF8'),
    be.parameterStatus('standard_conforming_strings', 'on'),
    be.backendKeyData(7, Buffer.from([1, 2, 3, 4])),
    be.readyForQuery(status),
  ]);

const failsWith = (code: string) => (e: unknown) => e instanceof UpstreamError && e.code === code;

async function expectFailure(script: Parameters<typeof fakeServer>[0], code: string, overrides: Partial<UpstreamOptions> = {}) {
  const fake = await fakeServer(script);
  try {
    await assert.rejects(connectUpstream({ ...fake.options, ...overrides }), failsWith(code));
  } finally {
    fake.server.close();
  }
}

test('the startup packet pins the encoding and standard_conforming_strings', async () => {
  const fake = await fakeServer((socket) => void socket.write(okTail()));
  try {
    const conn = await connectUpstream({ ...fake.options, applicationName: 'app', options: '-c default_transaction_read_only=on' });
    conn.close();
    assert.deepEqual((await fake.startup).parameters, {
      user: 'parapet',
      database: 'app',
      application_name: 'app',
      options: '-c default_transaction_read_only=on -c standard_conforming_strings=on',
      client_encoding: 'UTF8',
    });
  } finally {
    fake.server.close();
  }
});

test('frames that arrive with the ReadyForQuery stay in the reader for the next owner', async () => {
  const fake = await fakeServer((socket) => void socket.write(Buffer.concat([okTail(), be.notificationResponse(9, 'ch', 'early'), be.parameterStatus('TimeZone', 'UTC').subarray(0, 6)])));
  try {
    const conn = await connectUpstream(fake.options);
    try {
      assert.equal(conn.processId, 7);
      assert.deepEqual(conn.secretKey, Buffer.from([1, 2, 3, 4]));
      const early = conn.reader.drain().map((frame) => decodeBackend(frame));
      assert.deepEqual(early, [{ type: 'NotificationResponse', processId: 9, channel: 'ch', payload: 'early' }]);
      assert.equal(conn.reader.bufferedBytes, 6, 'the partial frame is kept too');
    } finally {
      conn.close();
    }
  } finally {
    fake.server.close();
  }
});

/** The data of the client's `p` message. */
const passwordData = (raw: Buffer) => {
  const message = decodeFrontend(asFrame(raw), 'auth');
  assert.equal(message.type, 'PasswordMessage');
  return message.data;
};

/** Runs a SCRAM exchange as the server; `final` decides what goes into AuthenticationSASLFinal. */
function scramScript(final: (serverFinal: Buffer) => Buffer) {
  return async (socket: Socket, frames: ClientFrames) => {
    const scram = new ScramServerSession(parseVerifier(createVerifier('pw', { iterations: 16 })));
    socket.write(be.authenticationSASL(['SCRAM-SHA-256']));
    const initial = decodeSaslInitialResponse(passwordData(await frames.next()));
    assert.equal(initial.mechanism, 'SCRAM-SHA-256');
    socket.write(be.authenticationSASLContinue(scram.clientFirst(initial.response!)));
    const result = scram.clientFinal(passwordData(await frames.next()));
    if (!result.ok) throw new Error('client proof rejected');
    socket.write(Buffer.concat([be.authenticationSASLFinal(final(result.serverFinal)), okTail()]));
  };
}

test('SCRAM against Parapet\'s own server side: logs in', async () => {
  const fake = await fakeServer(scramScript((serverFinal) => serverFinal));
  try {
    (await connectUpstream(fake.options)).close();
  } finally {
    fake.server.close();
  }
});

test('SCRAM: a server signature that does not match is auth-failed', async () => {
  await expectFailure(scramScript(() => Buffer.from(`v=${Buffer.alloc(32).toString('base64')}`)), 'auth-failed');
});

test('cleartext and md5 requests carry the password the way PostgreSQL expects', async () => {
  const seen: string[] = [];
  const fake = await fakeServer(async (socket, frames) => {
    socket.write(be.authenticationCleartextPassword());
    seen.push(decodePassword(passwordData(await frames.next())));
    socket.write(be.authenticationMD5Password(Buffer.from([1, 2, 3, 4])));
    seen.push(decodePassword(passwordData(await frames.next())));
    socket.write(okTail());
  });
  try {
    (await connectUpstream({ ...fake.options, user: 'postgres', password: 'postgres' })).close();
    assert.deepEqual(seen, ['postgres', 'md568be9ed08db75f318087ab337aaea044']);
  } finally {
    fake.server.close();
  }
});

test('authentication methods Parapet does not speak: unsupported-auth', async () => {
  await expectFailure((socket) => void socket.write(tagged('R', int32(7))), 'unsupported-auth');
  await expectFailure((socket) => void socket.write(be.authenticationSASL(['SCRAM-SHA-256-PLUS'])), 'unsupported-auth');
});

test('a password request without a configured password: auth-failed', async () => {
  await expectFailure((socket) => void socket.write(be.authenticationCleartextPassword()), 'auth-failed', { password: undefined });
});

test('server errors during login keep their SQLSTATE', async () => {
  const fake = await fakeServer((socket) => void socket.end(be.errorResponse({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' })));
  try {
    await assert.rejects(connectUpstream(fake.options), (e: unknown) => e instanceof UpstreamError && e.code === 'server-error' && e.sqlstate === '53300');
  } finally {
    fake.server.close();
  }
});

test('protocol breaches: bad length, unexpected message, settings not pinned', async () => {
  await expectFailure((socket) => void socket.write(Buffer.from([0x52, 0, 0, 0, 1])), 'protocol');
  await expectFailure((socket) => void socket.write(be.dataRow(['x'])), 'protocol');
  await expectFailure((socket) => void socket.write(tagged('R', int32(5), Buffer.from([1]))), 'protocol');
  await expectFailure(
    (socket) => void socket.write(Buffer.concat([be.authenticationOk(), be.parameterStatus('client_encoding', 'SQL_ASCII'), be.parameterStatus('standard_conforming_strings', 'on'), be.readyForQuery('I')])),
    'protocol',
  );
});

test('a silent server is a timeout; an early close is closed', async () => {
  await expectFailure(() => {}, 'timeout', { connectTimeoutMs: 200 });
  await expectFailure((socket) => void socket.end(), 'closed');
});
