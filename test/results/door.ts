/**
 * A minimal door for tests: what the proxy does with the result guards, on one upstream session,
 * without sockets to a client. Statements are decided by the real guard (with the live catalog),
 * refused by the masking side doors, sent upstream, and every reply goes through `SessionResults`;
 * everything "sent to the client" is kept as bytes, so tests can search it for canaries.
 * It is also the reference for wiring the guards into the proxy (docs/guards.md).
 */
import { decodeBackend, type BackendMessage } from '../../src/protocol/backend.js';
import { readyForQuery, errorResponse } from '../../src/protocol/encode-backend.js';
import * as fe from '../../src/protocol/encode-frontend.js';
import type { Frame } from '../../src/protocol/frame-reader.js';
import type { Guard } from '../../src/guard/index.js';
import type { Actor } from '../../src/policy/types.js';
import type { UpstreamConnection } from '../../src/upstream/connect.js';
import { FrameSource } from '../../src/upstream/frame-source.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { SessionResults, type JudgedResult } from '../../src/results/session-results.js';
import { maskingSideDoor } from '../../src/results/side-doors.js';
import type { LiveCatalog, ResolutionContext } from '../../src/catalog/live-catalog.js';
import type { MaskingPolicy } from '../../src/results/masking-policy.js';

export interface Received {
  messages: BackendMessage[];
  /** Every byte the client received. */
  bytes: Buffer;
  /** The statement was refused before it ran (guard or side door): the refusal's message. */
  refused?: string;
}

export type ExtendedStep =
  | { parse: string; name?: string }
  | { bind: string; statement?: string; params?: (string | null)[]; resultFormats?: number[] }
  | { describe: 'S' | 'P'; name?: string }
  | { execute: string; maxRows?: number }
  | { sync: true };

export class TestDoor {
  readonly #prepared = new Map<string, string>();

  constructor(
    private readonly conn: UpstreamConnection,
    private readonly guard: Guard,
    private readonly actor: Actor,
    readonly results: SessionResults,
    private readonly side: { catalog: LiveCatalog; resolution: ResolutionContext; masking?: MaskingPolicy },
  ) {}

  async #judge(sql: string, parameters?: (string | null)[]): Promise<{ judged: JudgedResult[]; refused?: string }> {
    const { analysis, decisions } = await this.guard.evaluate({ sql, actor: this.actor, session: { door: 'proxy' }, ...(parameters ? { parameters } : {}) });
    const judged = analysis.statements.map((statement, i) => ({ analysis: statement, decision: decisions[i]! }));
    for (const j of judged) {
      if (j.decision.action !== 'allow') return { judged, refused: j.decision.message };
      if (this.side.masking) {
        const door = await maskingSideDoor(j.analysis, { catalog: this.side.catalog, resolution: this.side.resolution, masking: this.side.masking });
        if (door) return { judged, refused: door.message };
      }
    }
    return { judged };
  }

  /** A simple Query: decided, then run with its replies through the result guards. */
  async simple(sql: string): Promise<Received> {
    const { judged, refused } = await this.#judge(sql);
    if (refused !== undefined) return refusal(refused);
    this.results.query(judged);
    this.conn.socket.write(fe.query(sql));
    return this.#collect(1, () => this.conn.socket.write(fe.query('parapet_test_poison')));
  }

  /** Extended-protocol messages up to and including one Sync. */
  async extended(steps: ExtendedStep[]): Promise<Received> {
    // Decide every Bind first: a refused one sends nothing at all (the proxy would poison it instead).
    const judgedBinds: JudgedResult[] = [];
    const parsed = new Map(this.#prepared);
    for (const step of steps) {
      if ('parse' in step) parsed.set(step.name ?? '', step.parse);
      if (!('bind' in step)) continue;
      const { judged, refused } = await this.#judge(parsed.get(step.statement ?? '')!, step.params);
      if (refused !== undefined) return refusal(refused);
      judgedBinds.push(judged[0]!);
    }
    const out: Buffer[] = [];
    for (const step of steps) {
      if ('parse' in step) {
        const name = step.name ?? '';
        this.#prepared.set(name, step.parse);
        this.results.parse(name, step.parse);
        out.push(fe.parse(name, step.parse));
      } else if ('bind' in step) {
        const statement = step.statement ?? '';
        this.results.bind(step.bind, statement, judgedBinds.shift()!, step.resultFormats ?? []);
        out.push(fe.bind({ portal: step.bind, statement, params: step.params ?? [], ...(step.resultFormats ? { resultFormats: step.resultFormats } : {}) }));
      } else if ('describe' in step) {
        this.results.describe(step.describe, step.name ?? '');
        out.push(fe.describe(step.describe, step.name ?? ''));
      } else if ('execute' in step) {
        this.results.execute(step.execute);
        out.push(fe.execute(step.execute, step.maxRows ?? 0));
      } else {
        this.results.sync();
        out.push(fe.sync());
      }
    }
    this.conn.socket.write(Buffer.concat(out));
    return this.#collect(1, () => this.conn.socket.write(Buffer.concat([fe.query('parapet_test_poison')])));
  }

  /** Reads until `readies` ReadyForQuery frames reached the client, doing what `abortUpstream` asks. */
  async #collect(readies: number, sendPoison: () => void): Promise<Received> {
    const source = new FrameSource(this.conn.socket, this.conn.reader, 'test', (e) => new UpstreamError('closed', e.message));
    const sent: Buffer[] = [];
    try {
      let seen = 0;
      while (seen < readies) {
        const frame: Frame = await source.next();
        const output = await this.results.push(frame);
        if (output.abortUpstream) {
          // Make the server agree that the transaction failed: a statement certain to fail.
          sendPoison();
          for (let f = await source.next(); f.code !== 0x5a; f = await source.next());
          sent.push(readyForQuery('E'));
          seen++;
          continue;
        }
        sent.push(...output.send);
        if (frame.code === 0x5a) seen++;
      }
    } finally {
      source.release();
    }
    const bytes = Buffer.concat(sent);
    return { messages: sent.map((b) => decodeBackend({ code: b[0]!, payload: b.subarray(5), raw: b })), bytes };
  }
}

function refusal(message: string): Received {
  const error = errorResponse({ severity: 'ERROR', code: '42501', message });
  return { messages: [decodeBackend({ code: error[0]!, payload: error.subarray(5), raw: error })], bytes: error, refused: message };
}

/** The rows of the client's messages, as text. */
export function rowsOf(received: Received): (string | null)[][] {
  return received.messages.flatMap((m) => (m.type === 'DataRow' ? [m.values.map((v) => (v === null ? null : v.toString('utf8')))] : []));
}

export function errorOf(received: Received): string | undefined {
  for (const m of received.messages) if (m.type === 'ErrorResponse') return m.fields.code;
  return undefined;
}
