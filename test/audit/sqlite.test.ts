/** The SQLite audit store against the shared contract, tampering through a second connection. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { auditStoreContract, type StoreLocation, type Tamper } from './contract.js';
import { keyedThrough, keysOfText, keyWriter } from '../../src/audit/sqlite-keys.js';
import type { KeyName } from '../../src/audit/search-keys.js';

/** The search key that stands for what the PostgreSQL store keeps in a column. */
const KEY_OF_COLUMN: Record<string, KeyName> = { actor: 'actor', session: 'session', action: 'decision' };

function sqliteTamper(path: string): Tamper {
  const run = (work: (db: Database.Database) => void): Promise<void> => {
    const db = new Database(path);
    try {
      db.pragma('busy_timeout = 5000');
      db.transaction(() => work(db)).immediate();
    } finally {
      db.close();
    }
    return Promise.resolve();
  };
  // Moves seqs through negative values so the primary key never collides mid-update.
  const move = (db: Database.Database, where: string, to: string, params: unknown[]): void => {
    for (const table of ['audit_record', 'audit_key']) {
      db.prepare(`update ${table} set seq = -(${to}) where ${where}`).run(...params);
      db.prepare(`update ${table} set seq = -seq where seq < 0`).run();
    }
  };
  return {
    setBody: (seq, body) => run((db) => db.prepare('update audit_record set body = ? where seq = ?').run(body, seq)),
    // A search field is a key here, keyed yet or not: the attacker replaces it, or plants it.
    setColumn: (seq, column, value) =>
      run((db) => {
        const name = KEY_OF_COLUMN[column];
        if (!name) return void db.prepare(`update audit_record set ${column} = ? where seq = ?`).run(value, seq);
        db.prepare('delete from audit_key where name = ? and seq = ?').run(name, seq);
        keyWriter(db)(seq, [{ name, value }]);
      }),
    setHash: (seq, hash) => run((db) => db.prepare('update audit_record set hash = ? where seq = ?').run(hash, seq)),
    remove: (seqs) =>
      run((db) => {
        for (const seq of seqs) {
          db.prepare('delete from audit_record where seq = ?').run(seq);
          db.prepare('delete from audit_key where seq = ?').run(seq);
        }
      }),
    shift: (from, delta) => run((db) => move(db, 'seq >= ?', `seq + ${delta}`, [from])),
    swap: (a, b) => run((db) => move(db, 'seq in (?, ?)', `case seq when ${a} then ${b} else ${a} end`, [a, b])),
    // With the index (`tables` given), the keys an honest writer would have by now.
    insert: (row, tables) =>
      run((db) => {
        db.prepare('insert into audit_record (seq, prev, hash, time, kind, body) values (?, ?, ?, ?, ?, ?)').run(row.seq, row.prev, row.hash, row.time, row.kind, row.body);
        if (tables && row.seq <= keyedThrough(db)) keyWriter(db)(row.seq, keysOfText(row.body));
      }),
  };
}

auditStoreContract('sqlite', {
  async location(): Promise<StoreLocation> {
    const dir = mkdtempSync(join(tmpdir(), 'parapet-audit-'));
    const path = join(dir, 'audit.db');
    return {
      open: (options = {}) =>
        SqliteAuditStore.open({ path, instance: options.instance ?? 'test', ...(options.hmacKey ? { hmacKey: options.hmacKey } : {}) }),
      tamper: sqliteTamper(path),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
