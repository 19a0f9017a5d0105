/**
 * The walk over one statement's parse tree. Handlers (one module per family of node types) add
 * effects through an {@link Analyzer}; it carries what the walk needs to know about where it is
 * (clause, scope, CTE, dynamic SQL, deferral) and what it has learnt (effects, parameters, LIMIT,
 * whether the result depends on literal values).
 *
 * Every node type is either handled, known to need nothing but a walk over its children, or
 * recorded as unclassified — which makes the statement's `readOnly` `unknown`.
 */
import { isObject, nodeType, type Fields } from './ast.js';
import { expressionHandlers } from './expressions.js';
import { passiveNodeTypes } from './node-types.js';
import { Scope } from './scope.js';
import { statementHandlers } from './statements.js';
import type { Clause, Deferral, Effect, StatementAnalysis } from './types.js';

export type Via = NonNullable<Effect['via']>;

/** The walk state that nested SQL (CTEs, function bodies, EXPLAIN) changes for a while. */
export interface WalkState {
  clause: Clause;
  scope: Scope;
  inCte: boolean;
  via: Via | undefined;
  deferred: Deferral | undefined;
  /** Inside a plain EXPLAIN: the statement is planned, not run. */
  planOnly: boolean;
  /** Text of the statement being walked: PL/pgSQL bodies are parsed from it. */
  source: string;
  /** The statement itself rather than a query nested in it (LIMIT is reported for it only). */
  top: boolean;
}

export type Handler = (fields: Fields, a: Analyzer) => void;

function keptWhenPlanned(effect: Effect): boolean {
  switch (effect.type) {
    case 'read':
      return true;
    case 'function':
      return effect.class === 'unknown';
    case 'prepared':
      return effect.operation === 'execute';
    default:
      return false;
  }
}

export class Analyzer {
  readonly effects: Effect[] = [];
  /** Node types the walk met without knowing them. */
  readonly unclassified = new Set<string>();
  /** Whether the analysis read a literal's value (then it must not be cached by shape). */
  literalSensitive = false;
  parameterCount = 0;
  limit: StatementAnalysis['limit'];
  state: WalkState;

  constructor(source: string) {
    this.state = {
      clause: 'other',
      scope: new Scope(),
      inCte: false,
      via: undefined,
      deferred: undefined,
      planOnly: false,
      source,
      top: true,
    };
  }

  /** Records an effect, stamped with where it was found. */
  add<E extends Effect>(effect: E): E {
    const { via, deferred, inCte, planOnly } = this.state;
    // A planned statement does not run: only what it reads, the user functions the planner may fold
    // (an IMMUTABLE user function runs at plan time) and the prepared statement it plans are kept.
    if (planOnly && !keptWhenPlanned(effect)) return effect;
    if (via !== undefined) effect.via = via;
    if (deferred !== undefined) effect.deferred = deferred;
    if (inCte && effect.type === 'write') effect.inCte = true;
    this.effects.push(effect);
    return effect;
  }

  /** Marks the analysis as depending on literal values. */
  readsLiteral(): void {
    this.literalSensitive = true;
  }

  /** Runs `fn` with part of the walk state replaced. */
  with<T>(changes: Partial<WalkState>, fn: () => T): T {
    const saved = this.state;
    // Copied field by field: object spread is slow on this path, which every statement takes.
    this.state = Object.assign(
      {
        clause: saved.clause,
        scope: saved.scope,
        inCte: saved.inCte,
        via: saved.via,
        deferred: saved.deferred,
        planOnly: saved.planOnly,
        source: saved.source,
        top: saved.top,
      },
      changes,
    );
    try {
      return fn();
    } finally {
      this.state = saved;
    }
  }

  /** Walks expressions (or anything holding them) found in `clause`. */
  expr(value: unknown, clause: Clause = this.state.clause): void {
    if (value === undefined || value === null) return;
    if (clause === this.state.clause) {
      this.walk(value);
      return;
    }
    const saved = this.state.clause;
    this.state.clause = clause;
    try {
      this.walk(value);
    } finally {
      this.state.clause = saved;
    }
  }

  /** A query nested in the current one (subquery, CTE, INSERT's SELECT): a child name scope. */
  query(value: unknown): void {
    this.with({ scope: new Scope(this.state.scope), clause: 'other', top: false }, () => this.dispatch(value));
  }

  /** A statement of its own (top level, or from a function body, DO block, PREPARE, EXPLAIN). */
  statement(value: unknown, changes: Partial<WalkState> = {}): void {
    this.with(Object.assign({ scope: new Scope(), clause: 'other' as Clause }, changes), () => this.dispatch(value));
  }

  /** Walks the children of a node that needs nothing of its own. */
  children(fields: Fields): void {
    for (const key in fields) {
      const v = fields[key];
      if (typeof v === 'object' && v !== null) this.walk(v);
    }
  }

  private dispatch(value: unknown): void {
    const type = nodeType(value);
    if (type === undefined) return;
    const fields = (value as Fields)[type] as Fields;
    const handler = statementHandlers[type];
    if (handler) handler(fields, this);
    else this.unknownNode(type, fields);
  }

  private unknownNode(type: string, fields: Fields): void {
    if (!passiveNodeTypes.has(type)) this.unclassified.add(type);
    this.children(fields);
  }

  private walk(value: object): void {
    if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'object' && v !== null) this.walk(v);
      return;
    }
    const type = nodeType(value);
    if (type === undefined) {
      if (isObject(value)) this.children(value);
      return;
    }
    const fields = (value as Fields)[type] as Fields;
    const handler = expressionHandlers[type];
    if (handler) handler(fields, this);
    else if (statementHandlers[type]) this.query(value);
    else this.unknownNode(type, fields);
  }
}
