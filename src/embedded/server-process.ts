/**
 * The embedded database process: forked by `startEmbedded`, it takes the data directory's lock,
 * opens PGlite and serves it with pglite-socket, so PGlite's WASM work never runs on the proxy's
 * event loop. It reports over IPC and stops when asked, on SIGTERM, or when the IPC channel closes
 * (the parent exited or was killed), so it never outlives the parent.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { toErrorData, EmbeddedError } from './errors.js';
import type { ChildConfig, ChildMessage, ParentMessage } from './ipc.js';
import { acquireLock, type DataDirLock } from './lock.js';
import { openDatabase } from './open-database.js';

/** A close that hangs (a wedged WASM call) must not keep the process alive forever. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

let lock: DataDirLock | undefined;
let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;
let stopping = false;

/** Settles once the message is handed to the channel, so a message sent just before exit arrives. */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

const log = (line: string): void => void send({ type: 'log', line });

async function main(config: ChildConfig): Promise<void> {
  lock = acquireLock(config.dataDir);
  if (lock.replaced) log(`took over the stale lock of process ${lock.replaced.pid}`);
  const opened = await openDatabase(config.dataDir, log, config.assetDir);
  db = opened.db;
  server = new PGLiteSocketServer({ db, host: config.host, port: config.port, maxConnections: config.connections });
  try {
    await server.start();
  } catch (error) {
    throw new EmbeddedError(
      'EMBEDDED_START_FAILED',
      `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
      'choose another port, or 0 for a free one',
    );
  }
  const port = Number(server.getServerConn().split(':').pop());
  await send({ type: 'ready', host: config.host, port, source: opened.source });
}

async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  setTimeout(() => process.exit(code || 1), SHUTDOWN_TIMEOUT_MS).unref();
  try {
    await server?.stop();
    await db?.close();
  } finally {
    lock?.release();
    process.exit(code);
  }
}

process.on('exit', () => lock?.release());
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Ctrl-C reaches the whole process group; the parent decides when the database stops.
process.on('SIGINT', () => {});
process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') void shutdown(0);
});

if (!process.send) {
  console.error('server-process is started by startEmbedded(), not by hand');
  process.exit(2);
}
const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
main(config).catch(async (error: unknown) => {
  await send({ type: 'failed', error: toErrorData(error, 'EMBEDDED_START_FAILED') });
  await shutdown(1);
});
