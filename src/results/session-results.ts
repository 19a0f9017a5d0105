/**
 * The result guards of one client session, between the upstream and the client: masking by real
 * column origin, row caps per portal and cursor, the bulk-read limit, and scrubbing of errors and
 * notices — for both protocols.
 *
 * The door tells it, in forwarding order, every client message the server will answer (the same
 * points where the proxy feeds its own ResponseTracker: `query`, `parse`, `bind`, `describe`,
 * `execute`, `close`, `sync`, `functionCall`, `poison`), and hands it every upstream frame (`push`), sending the
 * client what comes back instead of the frame. `push` is synchronous except for a RowDescription or
 * CopyOutResponse whose plan needs the catalog (an unknown table OID reloads it first): then it
 * returns a promise, and the door must keep later frames behind it.
 *
 * A RowDescription may come from an earlier Describe: descriptions are kept per prepared statement
 * and per portal, and a portal's result formats come from its Bind.
 */
import type { FieldDescription } from '../protocol/backend.js';
import { decodeBackend } from '../protocol/backend.js';
import { BackendCode } from '../protocol/codes.js';
import type { Frame } from '../protocol/frame-reader.js';
import type { Decision } from '../policy/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import type { ResolutionContext } from '../catalog/live-catalog.js';
import type { ResultCatalog } from './row-plan.js';
import { ResponseTracker } from '../proxy/response-tracker.js';
import { copyShape, type CopyShape } from './copy-rows.js';
import { withStatementMasks, type MaskingPolicy } from './masking-policy.js';
import { ResultFilter, type BulkCounter, type FilterSettings, type RowCounter } from './result-filter.js';
import { planFields, type BulkReadLimit, type PlanField, type RowPlan, type StatementFeeds } from './row-plan.js';
import { statementFeeds } from './statement-facts.js';
import { MaskHasher } from './mask-hash.js';

/** A statement as the door judged it. */
export interface JudgedResult {
  analysis: StatementAnalysis;
  decision: Decision;
  /** The SQL that really runs, when it differs from the statement's text (the body of an EXECUTE). */
  body?: string;
}

export interface SessionResultsOptions {
  catalog: ResultCatalog;
  /** The session's name resolution (its search path), for the statements' relations. */
  resolution: () => ResolutionContext;
  /** The actor's masking (see `maskingFor`); absent when nothing is masked for this actor. */
  masking?: MaskingPolicy;
  bulk?: BulkReadLimit;
  /** The deployment's key for the `hash` style. */
  maskKey: Buffer;
}

/** What to send the client in place of one upstream frame. */
export interface ResultOutput {
  send: Buffer[];
  /**
   * Parapet ended a statement with an error the server never saw, and the server's transaction is
   * still open (this frame is its ReadyForQuery `T`, withheld). Before anything else the door must
   * make the server fail too — send a statement certain to fail, swallow its error — and then send
   * the client that ReadyForQuery (status `E`).
   */
  abortUpstream?: boolean;
}

interface Prepared {
  judged: JudgedResult;
  /** The session's masking with the statement's own mask obligations. */
  masking?: MaskingPolicy;
  settings: FilterSettings;
  feeds: Promise<StatementFeeds>;
  counter: RowCounter;
  copy?: CopyShape;
}

interface PortalState {
  statement: Prepared;
  fields?: FieldDescription[];
  formats: readonly number[];
  plan?: RowPlan | Promise<RowPlan>;
}

type Tag =
  | { type: 'query'; statements: Prepared[]; index: number; bulk: BulkCounter; filter?: ResultFilter }
  | { type: 'describe'; target: 'S' | 'P'; name: string }
  | { type: 'execute'; portal: PortalState | undefined; filter?: ResultFilter }
  | { type: 'parse'; name: string }
  | { type: 'other' };

const OTHER: Tag = { type: 'other' };

export class SessionResults {
  readonly #o: SessionResultsOptions;
  readonly #tracker = new ResponseTracker<Tag>();
  // The hasher and the maps are created on first use: most sessions never mask by hash, prepare a
  // statement or open a cursor, and they would cost ≈ 1.5 KiB per held session.
  #hasher: MaskHasher | undefined;
  #statements: Map<string, { sql: string; fields?: FieldDescription[] }> | undefined;
  #portals: Map<string, PortalState> | undefined;
  #cursors: Map<string, { counter: RowCounter; feeds: Promise<StatementFeeds> }> | undefined;
  #segmentBulk: BulkCounter = { rows: 0 };
  /** Parapet failed something since the last ReadyForQuery: the server's replies up to it are swallowed. */
  #failedByParapet = false;

  constructor(options: SessionResultsOptions) {
    this.#o = options;
  }

  /** Whether this session's results need looking at at all (else the door may skip `push`). */
  get watching(): boolean {
    return this.#o.masking !== undefined || this.#o.bulk !== undefined;
  }

  // ——— client messages, in forwarding order ———

  /** A simple Query forwarded, with its judged statements. */
  query(statements: readonly JudgedResult[]): void {
    const bulk = { rows: 0 };
    this.#tracker.push({ kind: 'query', tag: { type: 'query', statements: statements.map((s) => this.#prepare(s)), index: 0, bulk } });
  }

  parse(name: string, sql: string): void {
    (this.#statements ??= new Map()).set(name, { sql });
    this.#tracker.push({ kind: 'parse', tag: { type: 'parse', name } });
  }

  /** A Bind forwarded: the portal runs `judged` (its prepared statement's analysis and decision). */
  bind(portal: string, statement: string, judged: JudgedResult, resultFormats: readonly number[]): void {
    const state: PortalState = { statement: this.#prepare(judged), formats: resultFormats };
    const described = this.#statements?.get(statement)?.fields;
    if (described) this.#describePortal(state, described);
    (this.#portals ??= new Map()).set(portal, state);
    this.#tracker.push({ kind: 'bind', tag: OTHER });
  }

  describe(target: 'S' | 'P', name: string): void {
    this.#tracker.push({ kind: 'describe', tag: { type: 'describe', target, name } });
  }

  execute(portal: string): void {
    this.#tracker.push({ kind: 'execute', tag: { type: 'execute', portal: this.#portals?.get(portal) } });
  }

  close(target: 'S' | 'P', name: string): void {
    if (target === 'P') this.#portals?.delete(name);
    else this.#statements?.delete(name);
    this.#tracker.push({ kind: 'close', tag: OTHER });
  }

  sync(): void {
    if (!this.#tracker.copyIn) this.#tracker.push({ kind: 'sync', tag: OTHER });
  }

  /** A FunctionCall message forwarded (its result is one value, passed through). */
  functionCall(): void {
    this.#tracker.push({ kind: 'function-call', tag: OTHER });
  }

  /** A message Parapet sent in place of a refused one (its replies are the door's business). */
  poison(simple: boolean): void {
    this.#tracker.push({ kind: 'poison', simple, error: { severity: 'ERROR', code: '42501', message: '' }, tag: OTHER });
  }

  /** The client ended a COPY FROM STDIN. */
  copyInEnded(): void {
    this.#tracker.endCopyIn();
  }

  // ——— upstream frames ———

  push(frame: Frame): ResultOutput | Promise<ResultOutput> {
    // Hot path: a row of a result whose filter is already in place.
    if ((frame.code === BackendCode.DataRow || frame.code === BackendCode.CopyData) && !this.#failedByParapet) {
      const filter = this.#rowFilter();
      if (filter) {
        const send = filter.push(frame);
        if (filter.failed) this.#failedByParapet = true;
        this.#tracker.onMessage(frame.code);
        return { send };
      }
    }
    const head = this.#tracker.peek();
    const tag = head?.tag;
    const code = frame.code;
    if (code === BackendCode.ReadyForQuery) return this.#ready(frame);
    if (head?.kind === 'poison' || !tag) return this.#passThrough(frame);
    if (tag.type === 'describe' && (code === BackendCode.RowDescription || code === BackendCode.NoData)) {
      if (code === BackendCode.RowDescription) this.#described(tag, fieldsOf(frame));
      this.#advance(frame);
      return { send: this.#failedByParapet ? [] : [frame.raw] };
    }
    if (tag.type === 'query') return this.#queryFrame(tag, frame);
    if (tag.type === 'execute') return this.#executeFrame(tag, frame);
    return this.#passThrough(frame);
  }

  /** The filter rows of the current unit go through, once it exists and has its plan. */
  #rowFilter(): ResultFilter | undefined {
    const tag = this.#tracker.peek()?.tag;
    if (tag?.type === 'execute') return tag.filter;
    if (tag?.type === 'query') return tag.filter;
    return undefined;
  }

  /** A frame outside any result: forwarded (errors and notices scrubbed for a masked actor). */
  #passThrough(frame: Frame): ResultOutput {
    this.#advance(frame);
    if (this.#failedByParapet) return { send: [] };
    const scrub = this.#o.masking !== undefined && (frame.code === BackendCode.ErrorResponse || frame.code === BackendCode.NoticeResponse);
    return { send: scrub ? new ResultFilter({ scrub: true }, { sent: 0 }, { rows: 0 }).push(frame) : [frame.raw] };
  }

  #ready(frame: Frame): ResultOutput {
    this.#advance(frame);
    const failed = this.#failedByParapet;
    this.#failedByParapet = false;
    this.#segmentBulk = { rows: 0 };
    if (frame.payload[0] === 0x49 /* I */) this.#portals?.clear();
    if (failed && frame.payload[0] === 0x54 /* T */) return { send: [], abortUpstream: true };
    return { send: [frame.raw] };
  }

  #queryFrame(tag: Extract<Tag, { type: 'query' }>, frame: Frame): ResultOutput | Promise<ResultOutput> {
    const statement = tag.statements[tag.index];
    if (!statement) return this.#passThrough(frame);
    tag.filter ??= new ResultFilter(statement.settings, statement.counter, tag.bulk);
    const filter = tag.filter;
    const ends = frame.code === BackendCode.CommandComplete || frame.code === BackendCode.EmptyQueryResponse || frame.code === BackendCode.ErrorResponse;
    const finish = (send: Buffer[]): ResultOutput => {
      if (filter.failed) this.#failedByParapet = true;
      if (ends) {
        tag.index++;
        tag.filter = undefined;
      }
      this.#advance(frame);
      return { send: this.#failedByParapet && !filter.failed ? [] : send };
    };
    if (this.#failedByParapet && !filter.failed) return finish([]);
    if (frame.code === BackendCode.RowDescription) {
      return whenReady(this.#plan(statement, fieldsOf(frame)), (plan) => {
        filter.plan = plan;
        return finish([frame.raw]);
      });
    }
    if (frame.code === BackendCode.CopyOutResponse && statement.copy) {
      return this.#copyPlan(statement).then((plan) => {
        filter.plan = plan;
        return finish([frame.raw]);
      });
    }
    return finish(filter.push(frame));
  }

  #executeFrame(tag: Extract<Tag, { type: 'execute' }>, frame: Frame): ResultOutput | Promise<ResultOutput> {
    const portal = tag.portal;
    if (!portal) return this.#passThrough(frame);
    const start = (plan: RowPlan | undefined): ResultOutput => {
      tag.filter ??= new ResultFilter(portal.statement.settings, portal.statement.counter, this.#segmentBulk);
      if (plan && !tag.filter.plan) tag.filter.plan = plan;
      const filter = tag.filter;
      const send = this.#failedByParapet && !filter.failed ? [] : filter.push(frame);
      if (filter.failed) this.#failedByParapet = true;
      this.#advance(frame);
      return { send };
    };
    if (!tag.filter && frame.code === BackendCode.CopyOutResponse && portal.statement.copy) return this.#copyPlan(portal.statement).then(start);
    if (!tag.filter && portal.plan) return whenReady(portal.plan, start);
    if (!tag.filter && !portal.plan && this.watching && frame.code === BackendCode.DataRow) {
      // Rows with no description: the client never described the portal or its statement. Without
      // origins nothing can be told apart, so every field counts as origin-less.
      portal.plan = this.#plan(portal.statement, unknownFields(frame), { masked: true, bulk: true });
      return whenReady(portal.plan, start);
    }
    return start(undefined);
  }

  #advance(frame: Frame): void {
    let detail: Parameters<ResponseTracker<Tag>['onMessage']>[1] = {};
    if (frame.code === BackendCode.ErrorResponse || frame.code === BackendCode.CommandComplete || frame.code === BackendCode.ReadyForQuery) {
      const message = decodeBackend(frame);
      if (message.type === 'ErrorResponse') detail = { error: message.fields };
      else if (message.type === 'CommandComplete') detail = { commandTag: message.tag };
      else if (message.type === 'ReadyForQuery') detail = { status: message.status };
    }
    this.#tracker.onMessage(frame.code, detail);
  }

  #described(tag: Extract<Tag, { type: 'describe' }>, fields: FieldDescription[]): void {
    if (tag.target === 'S') {
      const statement = this.#statements?.get(tag.name);
      if (statement) statement.fields = fields;
      return;
    }
    const portal = this.#portals?.get(tag.name);
    if (portal) this.#describePortal(portal, fields, true);
  }

  /** A portal's fields: from Describe(P) as sent, or from its statement's with the Bind's formats. */
  #describePortal(portal: PortalState, fields: FieldDescription[], exact = false): void {
    const formatOf = (i: number) => (portal.formats.length === 0 ? 0 : portal.formats.length === 1 ? portal.formats[0]! : (portal.formats[i] ?? 0));
    portal.fields = exact ? fields : fields.map((f, i) => ({ ...f, format: formatOf(i) }));
    if (this.watching) portal.plan = this.#plan(portal.statement, portal.fields);
  }

  #copyPlan(statement: Prepared): Promise<RowPlan> {
    return copyFields(statement, this.#o).then((fields) => this.#plan(statement, fields));
  }

  /** At once when nothing in the result can be masked or counted (no catalog asked, no wait); else after the catalog answers. */
  #plan(statement: Prepared, fields: readonly PlanField[], feedsOverride?: StatementFeeds): RowPlan | Promise<RowPlan> {
    if (!statement.masking && !this.#o.bulk) return { maskers: [], bulkMaskers: [], masks: false, bulk: false };
    return this.#planWithCatalog(statement, fields, feedsOverride);
  }

  async #planWithCatalog(statement: Prepared, fields: readonly PlanField[], feedsOverride?: StatementFeeds): Promise<RowPlan> {
    const masking = statement.masking;
    const o = this.#o;
    const feeds = feedsOverride ?? (await statement.feeds);
    return planFields(fields, { catalog: o.catalog, ...(masking ? { masking } : {}), ...(o.bulk ? { bulk: o.bulk } : {}), feeds, hasher: (this.#hasher ??= new MaskHasher(o.maskKey)) });
  }

  #prepare(judged: JudgedResult): Prepared {
    const { analysis, decision } = judged;
    const masking = withStatementMasks(this.#o.masking, decision.obligations);
    const cursor = analysis.effects.find((e) => e.type === 'session' && ['declare-cursor', 'fetch', 'close-cursor'].includes(e.operation));
    const copy = analysis.kind === 'copy' ? copyShape(analysis.sql) : undefined;
    const settings: FilterSettings = {
      scrub: masking !== undefined,
      ...(decision.obligations.maxResultRows ? { cap: decision.obligations.maxResultRows } : {}),
      ...(this.#o.bulk ? { bulk: this.#o.bulk } : {}),
      ...(copy ? { copy } : {}),
    };
    let feeds: Promise<StatementFeeds> | undefined;
    let counter: RowCounter = { sent: 0 };
    if (cursor?.type === 'session' && cursor.detail !== undefined) {
      const name = cursor.detail;
      if (cursor.operation === 'declare-cursor') {
        feeds = this.#feeds(judged, masking);
        (this.#cursors ??= new Map()).set(name, { counter: { sent: 0 }, feeds });
      } else if (cursor.operation === 'fetch') {
        const known = this.#cursors?.get(name);
        // A cursor Parapet did not see declared: assume the worst of what it returns.
        const state = known ?? { counter: { sent: 0 }, feeds: Promise.resolve({ masked: true, bulk: true }) };
        if (!known) (this.#cursors ??= new Map()).set(name, state);
        feeds = state.feeds;
        counter = state.counter;
      } else this.#cursors?.delete(name);
    }
    feeds ??= this.#feeds(judged, masking);
    feeds.catch(() => {});
    return { judged, settings, feeds, counter, ...(copy ? { copy } : {}), ...(masking ? { masking } : {}) };
  }

  #feeds(judged: JudgedResult, masking: MaskingPolicy | undefined): Promise<StatementFeeds> {
    if (!masking && !this.#o.bulk) return Promise.resolve({ masked: false, bulk: false });
    return statementFeeds(judged.analysis, { catalog: this.#o.catalog, resolution: this.#o.resolution(), ...(masking ? { masking } : {}), ...(this.#o.bulk ? { bulk: this.#o.bulk } : {}) }, judged.body ?? judged.analysis.sql)
      // Facts that cannot be had count as the worst case.
      .catch(() => ({ masked: true, bulk: true }));
  }
}

/** `then` without a microtask when the value is already there. */
function whenReady<T, R>(value: T | Promise<T>, next: (ready: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * COPY table [(columns)] TO STDOUT: its columns as fields with origins. COPY (query) has none (its
 * fields count as origin-less: masked when the query may feed them masked data); neither has a
 * field count known in advance, so its plan holds one field per column of the widest row possible.
 */
async function copyFields(statement: Prepared, o: SessionResultsOptions): Promise<PlanField[]> {
  const copy = statement.copy!;
  const originless = (): PlanField[] => Array.from({ length: 1600 }, () => ({ tableOid: 0, columnNumber: 0, typeOid: 0, format: 0 }));
  if (!copy.relation) return originless();
  const facts = await o.catalog.resolve([copy.relation], o.resolution());
  const snapshot = await o.catalog.snapshot();
  const [only] = Object.values(facts);
  const oid = only && Object.keys(facts).length === 1 ? snapshot.relationByName.get(`${only.schema}.${only.name}`) : undefined;
  const entry = oid === undefined ? undefined : snapshot.relations.get(oid);
  if (!entry) return originless();
  const byName = new Map([...entry.columns].map(([n, name]) => [name, n] as const));
  const numbers = copy.columns ? copy.columns.map((c) => byName.get(c) ?? 0) : [...entry.columns.keys()].sort((a, b) => a - b);
  return numbers.map((n) => ({ tableOid: n === 0 ? 0 : entry.oid, columnNumber: n, typeOid: entry.columnTypes.get(n) ?? 0, format: 0 }));
}

function fieldsOf(frame: Frame): FieldDescription[] {
  const message = decodeBackend(frame);
  return message.type === 'RowDescription' ? message.fields : [];
}

/** Fields of a row that came without any description: no origin, unknown type. */
function unknownFields(frame: Frame): PlanField[] {
  const count = frame.payload.readUInt16BE(0);
  return Array.from({ length: count }, () => ({ tableOid: 0, columnNumber: 0, typeOid: 0, format: 0 }));
}
