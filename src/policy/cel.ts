/**
 * CEL conditions over a decision request. The request's variables and their types are declared
 * once, so a condition is type-checked when the policy loads (a wrong field name is a load error
 * with its location). At decision time the context is one object per request whose fields are
 * built lazily, on first use, so a condition pays only for what it reads.
 *
 * Reading a value that is not known (`statement.readOnly` of opaque dynamic SQL, `impact.rows`
 * when nothing was measured, `statement.limit` without a constant LIMIT) is an evaluation error:
 * the engine then fails closed.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { Effect, RelationName, StatementAnalysis } from '../sql/types.js';
import { factsFor } from './rules/support.js';
import type { Actor, DecisionRequest, ImpactFigure, RelationFacts, SessionContext } from './types.js';

/** A condition compiled at load: returns the raw CEL result (the engine requires `true`/`false`). */
export type CompiledCondition = (context: RequestContext) => unknown;

export type ConditionProblem = { kind: 'syntax' | 'type'; message: string; index: number };

class CelActor {
  readonly name: string;
  readonly kind: string;
  readonly groups: string[];
  readonly attributes: Record<string, string>;
  constructor(actor: Actor) {
    this.name = actor.name;
    this.kind = actor.kind;
    this.groups = actor.groups;
    this.attributes = actor.attributes;
  }
}

class CelSession {
  readonly database: string;
  readonly applicationName: string;
  readonly clientAddress: string;
  readonly transaction: string;
  readonly door: string;
  constructor(session: SessionContext) {
    this.database = session.database ?? '';
    this.applicationName = session.applicationName ?? '';
    this.clientAddress = session.clientAddress ?? '';
    this.transaction = session.transaction ?? 'idle';
    this.door = session.door ?? '';
  }
}

const WHERE_ORDER = ['none', 'tautology', 'present'] as const;

/**
 * A statement's CEL view depends on the analysis alone, which is immutable and shared by the
 * analysis cache: each view is built once per statement and its derived lists once per view.
 */
class CelStatement {
  readonly #s: StatementAnalysis;
  #reads?: string[];
  #writes?: string[];
  #effectTypes?: string[];
  #writeOperations?: string[];
  #ddlOperations?: string[];
  #functions?: string[];
  #where?: string;
  constructor(statement: StatementAnalysis) {
    this.#s = statement;
  }
  get sql(): string {
    return this.#s.sql;
  }
  get kind(): string {
    return this.#s.kind;
  }
  get node(): string {
    return this.#s.node ?? '';
  }
  get index(): bigint {
    return BigInt(this.#s.index);
  }
  get readOnly(): boolean {
    if (this.#s.readOnly === 'unknown') throw new Error('the statement’s read-only state is unknown');
    return this.#s.readOnly;
  }
  get readOnlyState(): string {
    return String(this.#s.readOnly);
  }
  get effects(): Effect[] {
    return this.#s.effects;
  }
  get effectTypes(): string[] {
    return (this.#effectTypes ??= unique(this.#s.effects.map((e) => e.type)));
  }
  get reads(): string[] {
    return (this.#reads ??= relationKeys(this.#s.effects, 'read'));
  }
  get writes(): string[] {
    return (this.#writes ??= relationKeys(this.#s.effects, 'write'));
  }
  get writeOperations(): string[] {
    return (this.#writeOperations ??= unique(this.#s.effects.flatMap((e) => (e.type === 'write' ? [e.operation] : []))));
  }
  get ddlOperations(): string[] {
    return (this.#ddlOperations ??= unique(this.#s.effects.flatMap((e) => (e.type === 'ddl' ? [e.operation] : []))));
  }
  get functions(): string[] {
    return (this.#functions ??= unique(this.#s.effects.flatMap((e) => (e.type === 'function' ? [e.name] : []))));
  }
  /** The weakest WHERE among the statement's writes: `none`, `tautology`, `present`, or `` without one. */
  get where(): string {
    return (this.#where ??= this.#weakestWhere());
  }
  #weakestWhere(): string {
    let weakest = '';
    for (const e of this.#s.effects) {
      if (e.type !== 'write' || e.where === undefined) continue;
      if (weakest === '' || WHERE_ORDER.indexOf(e.where) < WHERE_ORDER.indexOf(weakest as never)) weakest = e.where;
    }
    return weakest;
  }
  get hasLimit(): boolean {
    return typeof this.#s.limit === 'number';
  }
  get limit(): bigint {
    if (typeof this.#s.limit !== 'number') throw new Error('the statement has no constant LIMIT');
    return BigInt(this.#s.limit);
  }
  get tags(): Record<string, string> {
    return this.#s.tags;
  }
  get parameterCount(): bigint {
    return BigInt(this.#s.parameterCount);
  }
  get fingerprint(): string {
    return this.#s.fingerprint;
  }
}

class CelRelation {
  readonly #r: RelationFacts;
  constructor(facts: RelationFacts) {
    this.#r = facts;
  }
  get schema(): string {
    return this.#r.schema;
  }
  get name(): string {
    return this.#r.name;
  }
  get kind(): string {
    return this.#r.kind ?? 'unknown';
  }
  get tags(): string[] {
    return this.#r.tags;
  }
  get columnTags(): Record<string, string[]> {
    return this.#r.columnTags;
  }
  get rows(): bigint {
    if (this.#r.rows === undefined) throw new Error(`the row count of \`${this.#r.schema}.${this.#r.name}\` is unknown`);
    return BigInt(Math.round(this.#r.rows));
  }
  get protected(): boolean {
    return this.#r.protected === true;
  }
}

class CelImpact {
  readonly #i: ImpactFigure | undefined;
  constructor(impact: ImpactFigure | undefined) {
    this.#i = impact;
  }
  get measured(): boolean {
    return this.#i !== undefined;
  }
  get known(): boolean {
    return this.#i !== undefined && this.#i.rows !== 'unknown';
  }
  get rows(): bigint {
    if (this.#i === undefined) throw new Error('no impact figure was measured (set `needsImpact: true` on the rule)');
    if (this.#i.rows === 'unknown') throw new Error(`the impact figure is unknown${this.#i.error ? `: ${this.#i.error}` : ''}`);
    return BigInt(Math.round(this.#i.rows));
  }
  get tableRows(): bigint {
    if (this.#i?.tableRows === undefined) throw new Error('the table size is unknown');
    return BigInt(Math.round(this.#i.tableRows));
  }
  get mode(): string {
    return this.#i?.mode ?? '';
  }
}

/** Actors (from the policy) and analyses (from the analysis cache) are long-lived: views are built once each. */
const actorViews = new WeakMap<Actor, CelActor>();
const statementViews = new WeakMap<StatementAnalysis, CelStatement>();

/** The variables a condition sees; each built on first use, once per request. */
export class RequestContext {
  readonly #request: DecisionRequest;
  #statement?: CelStatement;
  #session?: CelSession;
  #relations?: Record<string, CelRelation>;
  #dataTags?: string[];
  #impact?: CelImpact;
  #now?: Date;
  constructor(request: DecisionRequest) {
    this.#request = request;
  }
  get actor(): CelActor {
    const actor = this.#request.actor;
    let view = actorViews.get(actor);
    if (!view) actorViews.set(actor, (view = new CelActor(actor)));
    return view;
  }
  get session(): CelSession {
    return (this.#session ??= new CelSession(this.#request.session));
  }
  get statement(): CelStatement {
    if (!this.#statement) {
      const statement = this.#request.statement;
      let view = statementViews.get(statement);
      if (!view) statementViews.set(statement, (view = new CelStatement(statement)));
      this.#statement = view;
    }
    return this.#statement;
  }
  get relations(): Record<string, CelRelation> {
    if (!this.#relations) {
      this.#relations = {};
      for (const [key, facts] of Object.entries(this.#request.relations)) this.#relations[key] = new CelRelation(facts);
    }
    return this.#relations;
  }
  get dataTags(): string[] {
    return (this.#dataTags ??= dataTags(this.#request));
  }
  get impact(): CelImpact {
    return (this.#impact ??= new CelImpact(this.#request.impact));
  }
  get environment(): string {
    return this.#request.environment;
  }
  get now(): Date {
    if (!this.#now) {
      const now = new Date(this.#request.now);
      if (Number.isNaN(now.getTime())) throw new Error(`the request time \`${this.#request.now}\` is not a valid timestamp`);
      this.#now = now;
    }
    return this.#now;
  }
  get parameters(): (string | null)[] {
    return this.#request.parameters ?? [];
  }
}

/** Every variable and field a condition may use, with its CEL type (also the docs' reference). */
export const celVariables = {
  actor: { name: 'string', kind: 'string', groups: 'list<string>', attributes: 'map<string, string>' },
  session: { database: 'string', applicationName: 'string', clientAddress: 'string', transaction: 'string', door: 'string' },
  statement: {
    sql: 'string', kind: 'string', node: 'string', index: 'int', readOnly: 'bool', readOnlyState: 'string',
    effects: 'list<map<string, dyn>>', effectTypes: 'list<string>', reads: 'list<string>', writes: 'list<string>',
    writeOperations: 'list<string>', ddlOperations: 'list<string>', functions: 'list<string>', where: 'string',
    hasLimit: 'bool', limit: 'int', tags: 'map<string, string>', parameterCount: 'int', fingerprint: 'string',
  },
  relation: {
    schema: 'string', name: 'string', kind: 'string', tags: 'list<string>',
    columnTags: 'map<string, list<string>>', rows: 'int', protected: 'bool',
  },
  impact: { measured: 'bool', known: 'bool', rows: 'int', tableRows: 'int', mode: 'string' },
} as const;

let environment: Environment | undefined;

/** Building a CEL environment is expensive: one per process, shared by every policy. */
function celEnvironment(): Environment {
  environment ??= new Environment({ homogeneousAggregateLiterals: false })
    .registerType('Actor', { ctor: CelActor, fields: celVariables.actor })
    .registerType('Session', { ctor: CelSession, fields: celVariables.session })
    .registerType('Statement', { ctor: CelStatement, fields: celVariables.statement })
    .registerType('Relation', { ctor: CelRelation, fields: celVariables.relation })
    .registerType('Impact', { ctor: CelImpact, fields: celVariables.impact })
    .registerVariable('actor', 'Actor')
    .registerVariable('session', 'Session')
    .registerVariable('statement', 'Statement')
    .registerVariable('relations', 'map<string, Relation>')
    .registerVariable('dataTags', 'list<string>')
    .registerVariable('impact', 'Impact')
    .registerVariable('environment', 'string')
    .registerVariable('now', 'google.protobuf.Timestamp')
    .registerVariable('parameters', 'list<dyn>');
  return environment;
}

/** Type-checks and compiles a condition; a problem carries the character index it points at. */
export function compileCondition(expression: string): { condition: CompiledCondition } | { problem: ConditionProblem } {
  const env = celEnvironment();
  const checked = env.check(expression);
  if (!checked.valid) {
    const error = checked.error!;
    return {
      problem: {
        kind: error.name === 'ParseError' ? 'syntax' : 'type',
        message: lowerFirst(error.summary ?? error.message.split('\n')[0]!),
        index: error.range?.start ?? 0,
      },
    };
  }
  if (checked.type !== 'bool') {
    return { problem: { kind: 'type', message: `a condition must be a bool, this one is a ${checked.type}`, index: 0 } };
  }
  const evaluate = env.parse(expression);
  return { condition: (context) => evaluate(context) };
}

function relationKeys(effects: Effect[], type: 'read' | 'write'): string[] {
  const keys: string[] = [];
  for (const e of effects) if (e.type === type) keys.push(writtenName(e.relation));
  return unique(keys);
}

/** Tags of every touched relation and of the columns the statement names (all columns for `*`). */
export function dataTags(request: DecisionRequest): string[] {
  const tags = new Set<string>();
  for (const e of request.statement.effects) {
    if (e.type !== 'read' && e.type !== 'write') continue;
    const columns = e.columns ?? ['*'];
    for (const facts of factsFor(request, e.relation)) {
      for (const t of facts.tags) tags.add(t);
      for (const [column, columnTags] of Object.entries(facts.columnTags)) {
        if (columns.includes('*') || columns.includes(column)) for (const t of columnTags) tags.add(t);
      }
    }
  }
  return [...tags];
}

/** `schema.name` when the schema was written, else `name`. */
function writtenName(relation: RelationName): string {
  return relation.schema ? `${relation.schema}.${relation.name}` : relation.name;
}

function unique(values: string[]): string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
