/**
 * Transaction control, EXPLAIN, PREPARE/EXECUTE, cursors, LOCK, CALL and the session commands
 * (LISTEN/NOTIFY, DISCARD, VACUUM, CHECKPOINT…).
 */
import { booleanOption, defElemText, defElems, list, relationOf, as, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import type { SessionEffect, TransactionEffect, TransactionOperation } from './types.js';

const TRANSACTION_KINDS: Readonly<Record<string, TransactionOperation>> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'start',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback-to',
  TRANS_STMT_PREPARE: 'prepare-transaction',
  TRANS_STMT_COMMIT_PREPARED: 'commit-prepared',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback-prepared',
};

export function transactionOperation(fields: Fields): TransactionOperation {
  return TRANSACTION_KINDS[str(fields.kind) ?? ''] ?? 'begin';
}

function transactionStmt(f: Fields, a: Analyzer): void {
  const operation = transactionOperation(f);
  const effect = a.add<TransactionEffect>({ type: 'transaction', operation });
  for (const d of defElems(f.options)) {
    if (d.defname !== 'transaction_read_only') continue;
    a.readsLiteral();
    const text = defElemText(d);
    effect.readOnly = text !== '0' && text !== 'false';
  }
}

function explainStmt(f: Fields, a: Analyzer): void {
  let analyze = false;
  for (const d of defElems(f.options)) {
    if (d.defname !== 'analyze') continue;
    a.readsLiteral();
    // An option PostgreSQL would reject counts as running: the worst case.
    analyze = booleanOption(defElemText(d)) !== false;
  }
  a.add({ type: 'explain', analyze });
  if (analyze) a.statement(f.query, { via: 'explain-analyze', top: false });
  else a.statement(f.query, { via: 'explain', planOnly: true, top: false });
}

function session(a: Analyzer, operation: SessionEffect['operation'], detail?: string): void {
  a.add(detail === undefined ? { type: 'session', operation } : { type: 'session', operation, detail });
}

const DISCARD: Readonly<Record<string, SessionEffect['operation']>> = {
  DISCARD_ALL: 'discard-all',
  DISCARD_PLANS: 'discard-plans',
  DISCARD_SEQUENCES: 'discard-sequences',
  DISCARD_TEMP: 'discard-temp',
};

const LOCK_MODES = ['', 'access share', 'row share', 'row exclusive', 'share update exclusive', 'share', 'share row exclusive', 'exclusive', 'access exclusive'];

function vacuumStmt(f: Fields, a: Analyzer): void {
  const targets = list(f.rels).flatMap((r) => {
    const rel = as(r, 'VacuumRelation')?.relation as Fields | undefined;
    return rel ? [str(rel.relname) ?? ''] : [];
  });
  session(a, f.is_vacuumcmd ? 'vacuum' : 'analyze', targets.length ? targets.join(', ') : undefined);
  a.expr(f.rels, 'other');
}

export const utilityHandlers: Readonly<Record<string, Handler>> = {
  TransactionStmt: transactionStmt,
  ExplainStmt: explainStmt,
  PrepareStmt: (f, a) => {
    a.add({ type: 'prepared', operation: 'prepare', name: str(f.name) ?? '' });
    a.statement(f.query, { via: 'prepare', deferred: 'prepare', top: false });
  },
  ExecuteStmt: (f, a) => {
    a.add({ type: 'prepared', operation: 'execute', name: str(f.name) ?? '' });
    a.expr(f.params, 'other');
  },
  DeallocateStmt: (f, a) => {
    const name = str(f.name);
    a.add(f.isall || name === undefined ? { type: 'prepared', operation: 'deallocate-all' } : { type: 'prepared', operation: 'deallocate', name });
  },
  ListenStmt: (f, a) => session(a, 'listen', str(f.conditionname)),
  UnlistenStmt: (f, a) => session(a, 'unlisten', str(f.conditionname) ?? '*'),
  NotifyStmt: (f, a) => session(a, 'notify', str(f.conditionname)),
  DiscardStmt: (f, a) => session(a, DISCARD[str(f.target) ?? ''] ?? 'discard-all'),
  CheckPointStmt: (_f, a) => session(a, 'checkpoint'),
  VacuumStmt: vacuumStmt,
  ClusterStmt: (f, a) => session(a, 'cluster', f.relation ? str((f.relation as Fields).relname) : undefined),
  ReindexStmt: (f, a) => session(a, 'reindex', f.relation ? str((f.relation as Fields).relname) : str(f.name)),
  DeclareCursorStmt: (f, a) => {
    session(a, 'declare-cursor', str(f.portalname));
    a.statement(f.query, { top: false });
  },
  FetchStmt: (f, a) => session(a, 'fetch', str(f.portalname)),
  ClosePortalStmt: (f, a) => session(a, 'close-cursor', str(f.portalname) ?? '*'),
  LockStmt: (f, a) => {
    const relations = list(f.relations).flatMap((r) => {
      const rv = as(r, 'RangeVar');
      return rv ? [relationOf(rv)] : [];
    });
    const mode = typeof f.mode === 'number' ? LOCK_MODES[f.mode] : undefined;
    a.add({ type: 'lock', mode: `lock ${mode || 'access exclusive'}`, relations });
  },
  ConstraintsSetStmt: (f, a) => {
    a.add({ type: 'config', operation: 'set', name: 'constraints', value: f.deferred ? 'deferred' : 'immediate', scope: 'transaction' });
  },
  CallStmt: (f, a) => a.expr({ FuncCall: f.funccall }, 'other'),
};
