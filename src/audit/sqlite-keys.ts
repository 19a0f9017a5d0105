/**
 * The SQLite store's search keys (see ./search-keys.ts): the `audit_key` table, written by the
 * writer thread after commit, in batches, never on the proxy's path. `audit_meta.keyed` is the seq
 * through which every record has its keys; records after it are found by reading them. Keys and
 * that mark move together, in one transaction.
 */
import type Database from 'better-sqlite3';
import type { RecordBody } from './record.js';
import { searchKeys, type KeyName, type SearchKey } from './search-keys.js';

export const KEY_SCHEMA = `
create table if not exists audit_key (
  name text not null,
  value text not null,
  seq integer not null,
  primary key (name, value, seq)
) without rowid;
`;

/** Records keyed in one transaction: short enough that the proxy's commits seldom wait on it. */
export const KEY_BATCH = 500;

/** The seq through which every record is keyed (0 before any). */
export function keyedThrough(db: Database.Database): number {
  const row = db.prepare("select value from audit_meta where key = 'keyed'").get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/** Whether the file has the key table (a file from before keys, opened read-only, has not). */
export function hasKeyTable(db: Database.Database): boolean {
  return db.prepare("select 1 from sqlite_master where type = 'table' and name = 'audit_key'").get() !== undefined;
}

/** The keys of a stored body; a body that is not JSON has none (verify names it as edited). */
export function keysOfText(text: string): SearchKey[] {
  try {
    return searchKeys(JSON.parse(text) as RecordBody);
  } catch {
    return [];
  }
}

/** Writes keys of a seq, inside the caller's transaction (prepared once per batch). */
export function keyWriter(db: Database.Database): (seq: number, keys: readonly SearchKey[]) => void {
  const insert = db.prepare('insert or ignore into audit_key (name, value, seq) values (?, ?, ?)');
  return (seq, keys) => {
    for (const k of keys) insert.run(k.name, k.value, seq);
  };
}

/** Keys up to `limit` records after the mark, in one IMMEDIATE transaction; returns how many. */
export function keyPending(db: Database.Database, limit = KEY_BATCH): number {
  const tx = db.transaction((): number => {
    const through = keyedThrough(db);
    const rows = db.prepare('select seq, body from audit_record where seq > ? order by seq limit ?').all(through, limit) as { seq: number; body: string }[];
    if (rows.length === 0) return 0;
    const write = keyWriter(db);
    for (const row of rows) write(row.seq, keysOfText(row.body));
    db.prepare("insert into audit_meta (key, value) values ('keyed', ?) on conflict (key) do update set value = excluded.value").run(String(rows[rows.length - 1]!.seq));
    return rows.length;
  });
  return tx.immediate();
}

/** Stored keys of the records from `from` to `to`, by seq. */
export function keysBetween(db: Database.Database, from: number, to: number): Map<number, SearchKey[]> {
  const rows = db.prepare('select seq, name, value from audit_key where seq >= ? and seq <= ?').all(from, to) as { seq: number; name: KeyName; value: string }[];
  const bySeq = new Map<number, SearchKey[]>();
  for (const r of rows) {
    const list = bySeq.get(r.seq) ?? [];
    list.push({ name: r.name, value: r.value });
    bySeq.set(r.seq, list);
  }
  return bySeq;
}

/**
 * A file from before keys kept its search columns and their indexes on `audit_record` (the time
 * index among them) and a table index beside it: those go, and the keys are rebuilt from the
 * bodies, in batches, by the writer. Runs on every write-open; does nothing on a current file.
 */
export function migrateToKeys(db: Database.Database): void {
  db.transaction(() => {
    const columns = (db.prepare('select name from pragma_table_info(?)').all('audit_record') as { name: string }[]).map((c) => c.name);
    const timeIndex = db.prepare("select 1 from sqlite_master where type = 'index' and name = 'audit_record_time'").get() !== undefined;
    if (!columns.includes('actor') && !timeIndex) return;
    db.exec(`
      drop index if exists audit_record_time;
      drop index if exists audit_record_actor;
      drop index if exists audit_record_session;
      drop table if exists audit_table;
      delete from audit_key;
      delete from audit_meta where key = 'keyed';
    `);
    for (const column of ['actor', 'session', 'action']) if (columns.includes(column)) db.exec(`alter table audit_record drop column ${column}`);
  }).immediate();
}
