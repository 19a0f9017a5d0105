/**
 * The framing of Parapet's own exchange on a session borrowed from a client (see lent-queries.ts):
 * one Sync segment of steps, each under a named statement and portal that are closed again, so the
 * client's unnamed statement and portal — which a simple Query or an unnamed Parse would destroy —
 * survive. Pure: bytes out, backend messages in.
 */
import type { TransactionStatus } from '../protocol/codes.js';
import type { BackendMessage, FieldDescription } from '../protocol/backend.js';
import * as fe from '../protocol/encode-frontend.js';
import type { PgErrorFields } from '../protocol/pg-error.js';

/** `run`: execute and collect the rows as text; `describe`: plan only, collect the result's fields. */
export interface ExchangeStep {
  kind: 'run' | 'describe';
  sql: string;
}

export interface StepResult {
  rows: (string | null)[][];
  fields: FieldDescription[];
  /** The step failed; the steps behind it were skipped by the server (their results are absent). */
  error?: PgErrorFields;
}

/** The statement and portal names of the exchange (random, so they never meet the client's). */
export interface ExchangeNames {
  statement: string;
  portal: string;
}

/** One Sync segment running `steps` in order. Each step's statement and portal are closed behind it. */
export function exchangeBytes(steps: readonly ExchangeStep[], names: ExchangeNames): Buffer {
  const out: Buffer[] = [];
  for (const step of steps) {
    out.push(fe.parse(names.statement, step.sql));
    if (step.kind === 'describe') out.push(fe.describe('S', names.statement));
    else out.push(fe.bind({ portal: names.portal, statement: names.statement }), fe.execute(names.portal), fe.close('P', names.portal));
    out.push(fe.close('S', names.statement));
  }
  out.push(fe.sync());
  return Buffer.concat(out);
}

/** Closes the names whatever the last segment left behind (a Close of a name that does not exist is no error). */
export function closeNamesBytes(names: ExchangeNames): Buffer {
  return Buffer.concat([fe.close('P', names.portal), fe.close('S', names.statement)]);
}

/**
 * Reads the server's replies to one segment. ParameterStatus and notices the steps cause are
 * dropped: they describe Parapet's transaction, not the client's session, and must not reach it.
 * So is a notification that happens to arrive meanwhile.
 */
export class ExchangeReplies {
  readonly results: StepResult[] = [];
  /** The step whose replies are coming: begun by its ParseComplete, ended by its result. */
  #open: StepResult | undefined;
  #status: TransactionStatus | undefined;

  /** The transaction status of the closing ReadyForQuery; undefined until it came. */
  get status(): TransactionStatus | undefined {
    return this.#status;
  }

  /** Takes one message; true once the segment's ReadyForQuery has come. */
  push(message: BackendMessage): boolean {
    switch (message.type) {
      case 'ParseComplete':
        this.#open = this.#begin();
        return false;
      case 'RowDescription':
        // Only a describe step gets one (a run step sends no Describe); it ends the step.
        this.#step(message.type).fields = message.fields;
        this.#open = undefined;
        return false;
      case 'NoData':
        this.#step(message.type);
        this.#open = undefined;
        return false;
      case 'DataRow':
        this.#step(message.type).rows.push(message.values.map((value) => (value === null ? null : value.toString('utf8'))));
        return false;
      case 'CommandComplete':
      case 'EmptyQueryResponse':
        this.#step(message.type);
        this.#open = undefined;
        return false;
      case 'ErrorResponse':
        // With no step open, the failure is the next step's Parse.
        (this.#open ?? this.#begin()).error = message.fields;
        this.#open = undefined;
        return false;
      case 'ReadyForQuery':
        this.#status = message.status;
        return true;
      case 'BindComplete':
      case 'CloseComplete':
      case 'ParameterDescription':
      case 'ParameterStatus':
      case 'NoticeResponse':
      // A notification the server delivers meanwhile is lost to the client (docs/embedded.md).
      case 'NotificationResponse':
        return false;
      default:
        throw new Error(`unexpected ${message.type} in answer to parapet's catalog query`);
    }
  }

  #begin(): StepResult {
    const step: StepResult = { rows: [], fields: [] };
    this.results.push(step);
    return step;
  }

  #step(type: string): StepResult {
    if (!this.#open) throw new Error(`${type} came outside a step of parapet's catalog query`);
    return this.#open;
  }
}
