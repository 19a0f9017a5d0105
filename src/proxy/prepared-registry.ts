/**
 * The session's prepared statements, protocol (Parse) and SQL (PREPARE) alike — PostgreSQL keeps
 * them in one namespace. A statement counts only once the server confirmed it (ParseComplete, or
 * PREPARE's CommandComplete): a Parse that fails upstream (say, a duplicate name) must never replace
 * what the name really means. Until then the newest Parse of a name is `pending`, and lookups see it
 * first, so a Bind pipelined behind its Parse is decided on the text the server is about to prepare.
 */
import type { PreparedChange } from './sql-prepared.js';

/** A Parse in flight. */
export interface PendingParse {
  name: string;
  sql: string;
}

export class PreparedRegistry {
  // Created on first use: most sessions never prepare a statement, and an empty Map costs ≈ 250 bytes.
  #confirmed: Map<string, string> | undefined;
  #pending: Map<string, PendingParse> | undefined;

  /** The SQL a name stands for: the newest Parse in flight, else the confirmed statement. */
  lookup(name: string): string | undefined {
    return this.#pending?.get(name)?.sql ?? this.#confirmed?.get(name);
  }

  /** A Parse was forwarded. The unnamed statement is dropped at once, as the server does before parsing. */
  parseSent(name: string, sql: string): PendingParse {
    const entry = { name, sql };
    (this.#pending ??= new Map()).set(name, entry);
    if (name === '') this.#confirmed?.delete('');
    return entry;
  }

  /** ParseComplete for `entry`. */
  parseConfirmed(entry: PendingParse): void {
    (this.#confirmed ??= new Map()).set(entry.name, entry.sql);
    if (this.#pending?.get(entry.name) === entry) this.#pending.delete(entry.name);
  }

  /** The Parse failed or was skipped after an earlier error. */
  parseFailed(entry: PendingParse): void {
    if (this.#pending?.get(entry.name) === entry) this.#pending.delete(entry.name);
  }

  /** CloseComplete for a statement. */
  closed(name: string): void {
    this.#confirmed?.delete(name);
  }

  /** A PREPARE / DEALLOCATE / DISCARD ALL statement succeeded upstream. */
  apply(change: PreparedChange): void {
    if (change.op === 'prepare') (this.#confirmed ??= new Map()).set(change.name, change.body);
    else if (change.op === 'deallocate') this.#confirmed?.delete(change.name);
    else this.#confirmed?.clear();
  }

  get size(): number {
    return this.#confirmed?.size ?? 0;
  }
}
