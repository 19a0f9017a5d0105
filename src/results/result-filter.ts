/**
 * The result of one statement (a statement of a simple Query, one Execute of a portal, one FETCH),
 * frame by frame: rows are counted against the cap of their portal or cursor (which persists across
 * Executes and FETCHes, so slicing cannot get past it) and against the bulk-read limit of their
 * message; fields are masked by the row plan. Pure and synchronous: the plan is set from outside.
 *
 * Past the cap, rows are not forwarded. `truncate` then ends the result normally with a NoticeResponse
 * saying so and a command tag counting the rows sent (a suspended portal is reported complete, so a
 * client fetching in batches stops). `error` ends it with an ErrorResponse instead — which the server
 * never saw, so the door must bring the server's transaction into agreement (see session-results.ts).
 */
import { BackendCode } from '../protocol/codes.js';
import { commandComplete, copyData, errorResponse, noticeResponse } from '../protocol/encode-backend.js';

import type { Frame } from '../protocol/frame-reader.js';
import type { PgErrorFields } from '../protocol/pg-error.js';
import { parsePgErrorFields } from '../protocol/pg-error.js';
import { commandTagCount, withCount } from './command-tag.js';
import { maskCopyRow, type CopyShape } from './copy-rows.js';
import { scrubFields } from './error-scrub.js';
import type { FieldMasker } from './mask-values.js';
import type { BulkReadLimit, RowPlan } from './row-plan.js';
import { rewriteDataRow } from './row-rewrite.js';

/** Rows a portal or cursor has sent so far, across Executes / FETCHes. */
export interface RowCounter {
  sent: number;
}

/** Rows of bulk-watched data sent in one client message (simple Query) or Sync segment. */
export interface BulkCounter {
  rows: number;
}

export interface FilterSettings {
  cap?: { rows: number; onExceed: 'error' | 'truncate' };
  bulk?: BulkReadLimit;
  /** Scrub values out of errors and notices (the actor's results are masked). */
  scrub: boolean;
  /** A COPY … TO STDOUT statement's shape (CopyData rows are counted and masked). */
  copy?: CopyShape;
}

/** SQLSTATE for a result Parapet ends past a limit: program_limit_exceeded. */
export const RESULT_LIMIT_SQLSTATE = '54000';

export class ResultFilter {
  plan: RowPlan | undefined;
  /** Parapet ended this result with an error the server did not see. */
  failed: PgErrorFields | undefined;
  #sentHere = 0;
  #truncated = false;
  #bulkMasking = false;
  #copyHeader: boolean;

  constructor(
    private readonly settings: FilterSettings,
    private readonly counter: RowCounter,
    private readonly bulkCounter: BulkCounter,
  ) {
    this.#copyHeader = settings.copy?.header === true;
  }

  /** Whether anything here needs to look at rows (otherwise frames pass through untouched). */
  get active(): boolean {
    return this.settings.cap !== undefined || (this.plan?.masks ?? false) || (this.plan?.bulk ?? false);
  }

  /** One backend frame of this result → the bytes for the client. */
  push(frame: Frame): Buffer[] {
    switch (frame.code) {
      case BackendCode.DataRow:
        return this.#row(frame);
      case BackendCode.CopyData:
        return this.#copyRow(frame);
      case BackendCode.CommandComplete:
        return this.#complete(frame);
      case BackendCode.PortalSuspended:
        return this.#suspended(frame);
      case BackendCode.ErrorResponse:
      case BackendCode.NoticeResponse:
        return this.failed ? [] : [this.settings.scrub ? scrub(frame) : frame.raw];
      default:
        return this.failed ? [] : [frame.raw];
    }
  }

  /** Whether the next row may be sent; counts it. Past a limit: drop (truncate) or fail. */
  #admit(bulkWatched: boolean): boolean {
    if (this.failed || this.#truncated) return false;
    const cap = this.settings.cap;
    if (cap && this.counter.sent >= cap.rows) {
      if (cap.onExceed === 'truncate') this.#truncated = true;
      else this.failed = capError(cap.rows);
      return false;
    }
    const bulk = this.settings.bulk;
    if (bulk && bulkWatched && !this.#bulkMasking) {
      if (this.bulkCounter.rows >= bulk.rows) {
        if (bulk.onExceed === 'error') {
          this.failed = bulkError(bulk);
          return false;
        }
        this.#bulkMasking = true;
      } else this.bulkCounter.rows++;
    }
    this.counter.sent++;
    this.#sentHere++;
    return true;
  }

  #row(frame: Frame): Buffer[] {
    const plan = this.plan;
    if (!this.#admit(plan?.bulk ?? false)) return [];
    if (!plan || (!plan.masks && !this.#bulkMasking)) return [frame.raw];
    return [rewriteDataRow(frame.payload, this.#bulkMasking ? this.#withBulk(plan) : plan.maskers)];
  }

  #combined: (FieldMasker | undefined)[] | undefined;

  /** The plan's maskers plus the bulk maskers, once the bulk limit is passed. */
  #withBulk(plan: RowPlan): (FieldMasker | undefined)[] {
    this.#combined ??= plan.maskers.map((m, i) => m ?? plan.bulkMaskers[i]);
    return this.#combined;
  }

  #copyRow(frame: Frame): Buffer[] {
    const copy = this.settings.copy;
    if (this.#copyHeader) {
      this.#copyHeader = false;
      return this.failed ? [] : [frame.raw];
    }
    const plan = this.plan;
    if (!this.#admit(plan?.bulk ?? false)) return [];
    const maskers = plan && (plan.masks || this.#bulkMasking) ? (this.#bulkMasking ? this.#withBulk(plan) : plan.maskers) : undefined;
    if (!maskers || !copy) return [frame.raw];
    if (copy.format === 'binary' || copy.foreignEncoding) {
      // Masked values cannot be found in these rows: refuse rather than send them.
      this.failed = { severity: 'ERROR', code: '42501', message: 'this COPY would send masked columns in a format parapet cannot mask', hint: 'use COPY in text or CSV format (UTF8), or leave the masked columns out' };
      return [];
    }
    return [copyData(maskCopyRow(frame.payload, copy, maskers))];
  }

  #complete(frame: Frame): Buffer[] {
    if (this.failed) return [errorResponse(this.failed)];
    if (!this.#truncated) return [frame.raw];
    const tag = frame.payload.toString('utf8', 0, frame.payload.length - 1);
    return [truncationNotice(this.settings.cap!.rows), commandComplete(commandTagCount(tag) === undefined ? tag : withCount(tag, this.#sentHere))];
  }

  #suspended(frame: Frame): Buffer[] {
    if (this.failed) return [errorResponse(this.failed)];
    // Truncated: report the portal complete, so a client fetching in batches stops here.
    if (this.#truncated) return [truncationNotice(this.settings.cap!.rows), commandComplete(`SELECT ${this.#sentHere}`)];
    return [frame.raw];
  }
}

/** Names the rule as Parapet's refusals do (src/proxy/denial.ts), so clients tell Parapet's messages apart. */
const CAP_DETAIL = 'parapet rules: max-result-rows';

function capError(rows: number): PgErrorFields {
  return {
    severity: 'ERROR',
    code: RESULT_LIMIT_SQLSTATE,
    message: `the result has more than ${rows} rows, the most this actor may receive from one statement`,
    detail: CAP_DETAIL,
    hint: `add \`LIMIT ${rows}\` or narrow the WHERE clause`,
  };
}

function bulkError(bulk: BulkReadLimit): PgErrorFields {
  return {
    severity: 'ERROR',
    code: '42501',
    message: `reading more than ${bulk.rows} rows of ${bulk.tags.map((t) => `\`${t}\``).join(', ')} data in one request is not allowed`,
    hint: 'leave the tagged columns out, or read fewer rows at a time',
  };
}

function truncationNotice(rows: number): Buffer {
  return noticeResponse({
    severity: 'NOTICE',
    code: '01000',
    message: `parapet: the result was truncated to ${rows} rows`,
    detail: CAP_DETAIL,
    hint: 'add a LIMIT or narrow the WHERE clause to see the rows you need',
  });
}

function scrub(frame: Frame): Buffer {
  const fields = scrubFields(parsePgErrorFields(frame.payload));
  return frame.code === BackendCode.ErrorResponse ? errorResponse(fields) : noticeResponse(fields);
}
