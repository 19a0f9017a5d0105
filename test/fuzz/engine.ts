/**
 * Runs a protocol fuzz against a running proxy: many connections, a few at a time, each with a
 * script from its own generator (seed + connection number), while a well-behaved session on the
 * side keeps querying and the proxy's RSS is sampled. Stops at the first failure: the process
 * exited, the side session broke, RSS went past its bound, or a connection would not close.
 */
import type { Socket } from 'node:net';
import pg from 'pg';
import * as fe from '../../src/protocol/encode-frontend.js';
import { login, openSocket } from '../faults/wire-session.js';
import { readyScript, startupScript, type FuzzMessage } from './messages.js';
import { Random } from './random.js';

export interface FuzzTarget {
  port: number;
  database: string;
  /** Actors the fuzzing connections log in as. */
  actors: ReadonlyArray<{ user: string; password: string }>;
  /** The well-behaved session's URL. */
  sideUrl: string;
  /** The proxy's resident set size now, in bytes. */
  rss(): number;
  /** Settles if the proxy process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Client connections the proxy holds now (from its metrics), to check that none is left over. */
  openConnections?(): Promise<number>;
}

export interface FuzzOptions {
  seed: number;
  /** Messages to send in all. */
  count: number;
  /** Connections at once. */
  concurrency?: number;
  /** Largest RSS growth over the baseline that counts as bounded (bytes). */
  rssGrowthLimit?: number;
  /** Called now and then with the messages sent so far. */
  progress?(sent: number, report: FuzzReport): void;
}

export interface FuzzReport {
  seed: number;
  messages: number;
  connections: number;
  /** Side-session round trips that succeeded. */
  sideQueries: number;
  baselineRss: number;
  peakRss: number;
  durationMs: number;
}

/** A fuzz failure; `seed` and `connection` reproduce it, `script` is what that connection sent. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    message: string,
    readonly seed: number,
    readonly connection: number | undefined,
    readonly script: FuzzMessage[] = [],
  ) {
    super(`${message} (seed ${seed}${connection !== undefined ? `, connection ${connection}` : ''})`);
  }
}

const CLOSE_WAIT_MS = 10_000;

export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const { seed, count } = options;
  const concurrency = options.concurrency ?? 8;
  const rssLimit = options.rssGrowthLimit ?? 256 * 1024 * 1024;
  const started = Date.now();
  let failure: FuzzFailure | undefined;
  const fail = (error: FuzzFailure): void => {
    failure ??= error;
  };
  void target.exited.then(({ code, signal }) => fail(new FuzzFailure(`the proxy exited (${code ?? signal})`, seed, undefined)));

  const side = new pg.Client({ connectionString: target.sideUrl, application_name: 'fuzz-side' });
  side.on('error', (error) => fail(new FuzzFailure(`the well-behaved session broke: ${error.message}`, seed, undefined)));
  await side.connect();
  const report: FuzzReport = { seed, messages: 0, connections: 0, sideQueries: 0, baselineRss: target.rss(), peakRss: 0, durationMs: 0 };
  report.peakRss = report.baselineRss;

  const sampler = setInterval(() => {
    try {
      report.peakRss = Math.max(report.peakRss, target.rss());
    } catch {
      return; // the process is gone; `exited` reports it
    }
    if (report.peakRss - report.baselineRss > rssLimit) {
      fail(new FuzzFailure(`the proxy's RSS grew by ${mib(report.peakRss - report.baselineRss)} MiB, over the bound of ${mib(rssLimit)} MiB`, seed, undefined));
    }
  }, 100);
  const sideLoop = (async () => {
    while (!failure && report.messages < count) {
      const n = report.sideQueries;
      try {
        const result = await side.query('select $1::int + 1 as n', [n]);
        if (result.rows[0]?.n !== n + 1) fail(new FuzzFailure(`the well-behaved session got ${JSON.stringify(result.rows)} for ${n} + 1`, seed, undefined));
        report.sideQueries++;
      } catch (error) {
        fail(new FuzzFailure(`the well-behaved session failed: ${(error as Error).message}`, seed, undefined));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!failure && report.messages < count) {
      const index = next++;
      const sent = await runConnection(target, seed, index).catch((error: unknown) => {
        if (error instanceof FuzzFailure) fail(error);
        else fail(new FuzzFailure(`connection failed: ${(error as Error).message}`, seed, index));
        return 0;
      });
      report.messages += sent;
      report.connections++;
      if (report.connections % 200 === 0) options.progress?.(report.messages, report);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    await sideLoop;
    if (!failure) {
      // The side session must still work after the storm, and the process must still be there.
      const result = await side.query('select 41 + 1 as n');
      if (result.rows[0]?.n !== 42) fail(new FuzzFailure('the well-behaved session answered wrongly at the end', seed, undefined));
    }
    if (!failure && target.openConnections) {
      // Every fuzzing connection was closed: only the side session may be left.
      const until = Date.now() + CLOSE_WAIT_MS;
      let open = await target.openConnections();
      while (open > 1 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        open = await target.openConnections();
      }
      if (open > 1) fail(new FuzzFailure(`the proxy still holds ${open - 1} fuzzing connection(s) after they all closed`, seed, undefined));
    }
  } finally {
    clearInterval(sampler);
    await side.end().catch(() => {});
  }
  report.durationMs = Date.now() - started;
  if (failure) throw failure;
  return report;
}

/** One connection: log in (or not), send its script, close; returns the messages sent. */
async function runConnection(target: FuzzTarget, seed: number, index: number): Promise<number> {
  const random = Random.derive(seed, index);
  const ready = random.chance(0.7);
  let socket: Socket;
  if (ready) {
    const actor = random.pick(target.actors);
    try {
      socket = (await login({ port: target.port, user: actor.user, password: actor.password, database: target.database, parameters: { application_name: `fuzz-${index}` } })).socket;
    } catch (error) {
      throw new FuzzFailure(`a well-formed login failed: ${(error as Error).message}`, seed, index);
    }
  } else {
    socket = await openSocket(target.port);
  }
  const script = ready ? readyScript(random) : startupScript(random);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.on('data', () => {}); // read and discard what the proxy answers
  socket.resume();
  let sent = 0;
  let framed = true;
  const abort = random.chance(0.05) ? random.int(script.length) : -1;
  for (const [i, message] of script.entries()) {
    if (socket.destroyed) break;
    if (i === abort) {
      socket.destroy();
      break;
    }
    socket.write(message.bytes);
    framed &&= message.framed;
    sent++;
    // Sometimes let the proxy read what came so far, so messages arrive in separate chunks.
    if (random.chance(0.3)) await new Promise((resolve) => setImmediate(resolve));
  }
  // A stream still in frame ends with Terminate, which the proxy reaches after everything before it.
  if (!socket.destroyed) {
    if (framed && ready) socket.end(fe.terminate());
    else socket.end();
  }
  const timer = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), CLOSE_WAIT_MS).unref());
  if ((await Promise.race([closed.then(() => 'closed' as const), timer])) === 'stuck') {
    socket.destroy();
    throw new FuzzFailure(`the proxy did not close the connection within ${CLOSE_WAIT_MS / 1000} s after the client ended it`, seed, index, script);
  }
  return sent;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
