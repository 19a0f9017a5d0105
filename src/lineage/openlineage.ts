/**
 * OpenLineage RunEvents for finished transactions (spec 2-0-2, schemas/openlineage-2-0-2.json).
 *
 * - The parent run is the session, or the statement's run tag (`run_id` / `run`): its runId is a
 *   UUID derived from the AUTHENTICATED actor and the tag, so an untrusted tag cannot write into
 *   another actor's run. Each transaction that wrote is a child run (ParentRunFacet), with one
 *   START and one COMPLETE (committed), ABORT (rolled back) or FAIL (a statement error ended it).
 * - job: namespace from config (default `parapet`), name = the actor, or `actor/job-tag` when the
 *   statement carries a `job` or `pipeline` tag.
 * - datasets: `database.schema.table` (an unqualified name is taken as `public`) in the namespace
 *   `postgres://host:port` of the upstream; COPY sources as `copy://stdin|file|program`.
 * - facets: columnLineage (1-2-0) and outputStatistics.rowCount on outputs, sql and jobType on the
 *   job, parent, errorMessage and the custom `parapet_decision` facet (actor, decisions, audit seqs).
 */
import type { AuditActor } from '../audit/record.js';
import type { ColumnSource } from './columns.js';
import type { LineageStatement, LineageTransaction } from './tracker.js';
import { uuidV5 } from './uuid.js';

export const RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACET = (name: string, version: string): string => `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
export const PARAPET_FACET_SCHEMA = 'https://parapet.dev/spec/facets/1-0-0/ParapetDecisionRunFacet.json#/$defs/ParapetDecisionRunFacet';

export interface OpenLineageOptions {
  /** Dataset namespace: the upstream as `postgres://host:port`. */
  namespace: string;
  /** Job namespace (default `parapet`). */
  jobNamespace?: string;
  /** Producer URI stamped on events and facets. */
  producer?: string;
}

export const DEFAULT_PRODUCER = 'https://github.com/parapet-guard/parapet/tree/v0.1.0';

export type EventType = 'START' | 'COMPLETE' | 'ABORT' | 'FAIL';

export interface Dataset {
  namespace: string;
  name: string;
  facets?: Record<string, unknown>;
  outputFacets?: Record<string, unknown>;
}

export interface RunEvent {
  eventType: EventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, unknown> };
  job: { namespace: string; name: string; facets: Record<string, unknown> };
  inputs: Dataset[];
  outputs: Dataset[];
}

/** The run tag of a transaction: the first `run_id` (or `run`) tag of its statements. */
export function runTag(statements: LineageStatement[]): string | undefined {
  for (const s of statements) {
    const tag = s.tags.run_id ?? s.tags.run;
    if (tag) return tag;
  }
  return undefined;
}

/** The parent runId: derived from the authenticated actor and the run tag (or the session). */
export function parentRunId(actor: AuditActor, t: { instance: string; session: string }, tag: string | undefined): string {
  return uuidV5(`${actor.name}\n${tag !== undefined ? `tag\n${tag}` : `session\n${t.instance}\n${t.session}`}`);
}

function jobName(actor: AuditActor, statements: LineageStatement[]): string {
  for (const s of statements) {
    const tag = s.tags.job ?? s.tags.pipeline;
    if (tag) return `${actor.name}/${tag}`;
  }
  return actor.name;
}

/** `database.schema.table`; unqualified names are taken as `public` (search_path is not known here). */
export function datasetName(database: string | undefined, table: string): string {
  const qualified = table.includes('.') ? table : `public.${table}`;
  return `${database ?? 'postgres'}.${qualified}`;
}

function datasetOf(options: OpenLineageOptions, database: string | undefined, table: string): { namespace: string; name: string } {
  if (table.startsWith('copy:')) return { namespace: 'copy://', name: table.slice('copy:'.length) };
  return { namespace: options.namespace, name: datasetName(database, table) };
}

function facetBase(producer: string, schema: string): { _producer: string; _schemaURL: string } {
  return { _producer: producer, _schemaURL: schema };
}

function columnLineageFacet(options: OpenLineageOptions, producer: string, database: string | undefined, columns: Record<string, ColumnSource[]>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [column, sources] of Object.entries(columns)) {
    fields[column] = {
      inputFields: sources.map((s) => ({
        ...datasetOf(options, database, s.table),
        field: s.column,
        transformations: [{ type: 'DIRECT', subtype: s.transformation.toUpperCase() }],
      })),
    };
  }
  return { ...facetBase(producer, FACET('ColumnLineageDatasetFacet', '1-2-0')), fields };
}

/** The START and terminal events of one finished transaction. */
export function runEvents(t: LineageTransaction, options: OpenLineageOptions): RunEvent[] {
  const producer = options.producer ?? DEFAULT_PRODUCER;
  const jobNamespace = options.jobNamespace ?? 'parapet';
  const tag = runTag(t.statements);
  const parent = parentRunId(t.actor, t, tag);
  const runId = uuidV5(`${parent}\n${t.statements[0]!.decision}`);
  const job = jobName(t.actor, t.statements);

  const inputs = new Map<string, Dataset>();
  type Output = { dataset: Dataset; rows?: number; columns: Record<string, ColumnSource[]> };
  const outputs = new Map<string, Output>();
  for (const s of t.statements) {
    for (const w of s.writes) {
      for (const input of w.inputs) {
        const d = datasetOf(options, t.database, input);
        inputs.set(`${d.namespace} ${d.name}`, d);
      }
      for (const sources of Object.values(w.columns ?? {})) {
        for (const source of sources) {
          const d = datasetOf(options, t.database, source.table);
          if (source.table.startsWith('copy:')) inputs.set(`${d.namespace} ${d.name}`, d);
        }
      }
      const d = datasetOf(options, t.database, w.table);
      const entry: Output = outputs.get(`${d.namespace} ${d.name}`) ?? { dataset: d, columns: {} };
      if (s.status === 'committed' && s.rows !== undefined) entry.rows = (entry.rows ?? 0) + s.rows;
      for (const [column, sources] of Object.entries(w.columns ?? {})) entry.columns[column] = [...(entry.columns[column] ?? []), ...sources];
      outputs.set(`${d.namespace} ${d.name}`, entry);
    }
  }

  const decisions = t.statements.map((s) => ({ decision: s.decision, outcome: s.outcome, action: 'allow', rules: s.rules, status: s.status, ...(s.commandTag ? { commandTag: s.commandTag } : {}) }));
  const runFacets: Record<string, unknown> = {
    parent: { ...facetBase(producer, FACET('ParentRunFacet', '1-1-0')), run: { runId: parent }, job: { namespace: jobNamespace, name: job } },
    parapet_decision: {
      ...facetBase(producer, PARAPET_FACET_SCHEMA),
      actor: { name: t.actor.name, kind: t.actor.kind, groups: t.actor.groups },
      session: t.session,
      instance: t.instance,
      door: t.door,
      ...(tag !== undefined ? { runTag: tag } : {}),
      ...(t.clientAddress ? { clientAddress: t.clientAddress } : {}),
      ...(t.applicationName ? { applicationName: t.applicationName } : {}),
      statements: decisions,
      tags: Object.assign({}, ...t.statements.map((s) => s.tags)) as Record<string, string>,
    },
  };
  const jobFacets = {
    sql: { ...facetBase(producer, FACET('SQLJobFacet', '1-1-0')), query: t.statements.map((s) => s.statement).join(';\n'), dialect: 'postgres' },
    jobType: { ...facetBase(producer, FACET('JobTypeJobFacet', '2-0-3')), processingType: 'BATCH', integration: 'PARAPET', jobType: 'QUERY' },
  };
  const base = {
    producer,
    schemaURL: RUN_EVENT_SCHEMA,
    job: { namespace: jobNamespace, name: job, facets: jobFacets },
    inputs: [...inputs.values()],
  };
  const start: RunEvent = {
    ...base,
    eventType: 'START',
    eventTime: t.started,
    run: { runId, facets: runFacets },
    outputs: [...outputs.values()].map((o) => o.dataset),
  };
  const failure = t.statements.find((s) => s.error);
  const terminal: RunEvent = {
    ...base,
    eventType: t.status === 'committed' ? 'COMPLETE' : t.status === 'failed' ? 'FAIL' : 'ABORT',
    eventTime: t.ended,
    run: {
      runId,
      facets: {
        ...runFacets,
        ...(t.status === 'failed' && failure?.error
          ? { errorMessage: { ...facetBase(producer, FACET('ErrorMessageRunFacet', '1-0-1')), message: `${failure.error.sqlstate}: ${failure.error.message}`, programmingLanguage: 'SQL' } }
          : {}),
      },
    },
    outputs: [...outputs.values()].map((o) => ({
      ...o.dataset,
      ...(Object.keys(o.columns).length > 0 ? { facets: { columnLineage: columnLineageFacet(options, producer, t.database, o.columns) } } : {}),
      ...(t.status === 'committed' && o.rows !== undefined
        ? { outputFacets: { outputStatistics: { ...facetBase(producer, FACET('OutputStatisticsOutputDatasetFacet', '1-0-2')), rowCount: o.rows } } }
        : {}),
    })),
  };
  return [start, terminal];
}
