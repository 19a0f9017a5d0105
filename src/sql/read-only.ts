/**
 * `readOnly` from effects: `false` as soon as anything writes or changes state (data, schema,
 * privileges, settings, a committed transaction, files); `"unknown"` when what runs cannot be seen
 * (opaque dynamic SQL, user functions and operators, EXECUTE of a prepared name, FETCH from a
 * cursor, unknown nodes);
 * `true` otherwise.
 */
import { FILE_WRITERS, LARGE_OBJECT_READERS } from './functions.js';
import type { Effect, ReadOnly } from './types.js';

const SESSION_READ_ONLY = new Set(['listen', 'unlisten', 'close-cursor', 'declare-cursor']);
const TRANSACTION_WRITES = new Set(['commit', 'prepare-transaction', 'commit-prepared', 'rollback-prepared']);

export function effectReadOnly(e: Effect): ReadOnly {
  switch (e.type) {
    case 'read':
    case 'explain':
    case 'sensitive-parameter':
      return true;
    case 'write':
    case 'ddl':
    case 'privilege':
    case 'lock':
      return false;
    case 'config':
      // SET TRANSACTION READ ONLY / ISOLATION LEVEL change nothing that outlives the transaction.
      return (e.operation === 'set-transaction' || e.operation === 'set-session-characteristics') && !e.safety ? true : false;
    case 'transaction':
      if (TRANSACTION_WRITES.has(e.operation)) return false;
      return e.readOnly === false ? false : true;
    case 'external':
      // Function calls are judged by their function effect; statements by direction.
      return e.function !== undefined || e.direction === 'read';
    case 'function':
      return functionReadOnly(e.name, e.class);
    case 'dynamic-sql':
      return e.opaque ? 'unknown' : true;
    case 'prepared':
      return e.operation === 'execute' ? 'unknown' : true;
    case 'session':
      // FETCH runs the cursor's query, declared by an earlier statement: only a caller who kept it knows.
      if (e.operation === 'fetch') return 'unknown';
      return SESSION_READ_ONLY.has(e.operation);
  }
}

function functionReadOnly(name: string, cls: string): ReadOnly {
  switch (cls) {
    case 'safe':
    case 'dynamic-sql': // judged by its dynamic-sql effect
      return true;
    case 'unknown':
      return 'unknown';
    case 'file':
      return !FILE_WRITERS.has(name);
    case 'large-object':
      return LARGE_OBJECT_READERS.has(name);
    default:
      return false;
  }
}

/** `false` beats `unknown` beats `true`. */
export function combineReadOnly(values: Iterable<ReadOnly>): ReadOnly {
  let result: ReadOnly = true;
  for (const v of values) {
    if (v === false) return false;
    if (v === 'unknown') result = 'unknown';
  }
  return result;
}
