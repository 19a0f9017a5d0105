/**
 * Replays corpus scripts against a (throwaway) server the way psql would, one database per file,
 * and runs every unit that a judge calls read-only inside a read-only transaction instead, to catch
 * the ones the server refuses with 25006 (read-only violation).
 *
 * A read-only unit runs as `BEGIN READ ONLY; <unit>; ROLLBACK` — or, inside the script's own open
 * transaction, as `SAVEPOINT; SET TRANSACTION READ ONLY; <unit>; ROLLBACK TO SAVEPOINT`. When it
 * succeeds and may have changed session state (SET, …), it is then run again for real so the rest
 * of the script sees what psql would have produced.
 */
import pg from 'pg';
import { readCorpusFile, splitPsqlScript, type CorpusFile, type ScriptUnit } from './corpus.js';

/** What the judge (the analyser) says about a unit. */
export interface Verdict {
  /** Run it inside a read-only transaction: it must not fail with 25006. */
  readOnly: boolean;
  /** When it succeeded read-only, it is run again for real (it may change session state). */
  rerun: boolean;
}

export interface ReadOnlyViolation {
  file: string;
  line: number;
  sql: string;
  message: string;
}

export interface ReplayOptions {
  /** Connection URL for a database on the cluster. */
  url(database: string): string;
  files: CorpusFile[];
  judge(sql: string): Verdict;
  /** Files replayed at once, each in its own database (default 4). */
  concurrency?: number;
  /** Script run once into a template database that every file's database copies (e.g. test_setup.sql). */
  setup?: CorpusFile;
  /** A statement still running after this long is cancelled from another connection (default 10 s). */
  cancelAfterMs?: number;
}

export interface FileReport {
  file: string;
  units: number;
  checked: number;
  ms: number;
}

export interface ReplayReport {
  files: FileReport[];
  violations: ReadOnlyViolation[];
}

interface Outcome {
  error?: { code?: string; message: string };
}

const READ_ONLY_VIOLATION = '25006';

/** One connection to one database, with psql's tolerance for errors and a watchdog for slow statements. */
class Session {
  private client!: pg.Client;

  constructor(
    private readonly url: string,
    private readonly cancelAfterMs: number,
  ) {}

  async open(): Promise<void> {
    this.client = new pg.Client({ connectionString: this.url, application_name: 'parapet-oracle' });
    // A statement may terminate its own backend; the next query reconnects.
    this.client.on('error', () => {});
    this.client.on('notice', () => {});
    await this.client.connect();
  }

  transactionStatus(): string {
    return this.client.getTransactionStatus() ?? 'I';
  }

  async run(sql: string): Promise<Outcome> {
    const pid = (this.client as unknown as { processID?: number }).processID;
    const timer = setTimeout(() => void cancelBackend(this.url, pid), this.cancelAfterMs);
    try {
      await this.client.query(sql);
      return {};
    } catch (error) {
      const e = error as { code?: string; message: string };
      const lost = e.code?.startsWith('57P') || (!e.code && /terminat|not queryable|connection/i.test(e.message));
      if (lost) await this.reopen();
      return { error: { code: e.code, message: e.message } };
    } finally {
      clearTimeout(timer);
    }
  }

  private async reopen(): Promise<void> {
    await this.client.end().catch(() => {});
    await this.open();
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

async function cancelBackend(url: string, pid: number | undefined): Promise<void> {
  if (!pid) return;
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
    await admin.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    // the statement finished meanwhile, or the server is gone: nothing to cancel
  } finally {
    await admin.end().catch(() => {});
  }
}

/** Runs one unit, read-only when the judge says so; returns whether it was checked and any violation. */
async function replayUnit(session: Session, unit: ScriptUnit, verdict: Verdict): Promise<{ checked: boolean; violation?: string }> {
  const status = session.transactionStatus();
  if (!verdict.readOnly || status === 'E') {
    await session.run(unit.text);
    return { checked: false };
  }
  let outcome: Outcome;
  if (status === 'I') {
    await session.run('BEGIN READ ONLY');
    outcome = await session.run(unit.text);
    await session.run('ROLLBACK');
  } else {
    await session.run('SAVEPOINT parapet_oracle');
    await session.run('SET TRANSACTION READ ONLY');
    outcome = await session.run(unit.text);
    await session.run('ROLLBACK TO SAVEPOINT parapet_oracle');
    await session.run('RELEASE SAVEPOINT parapet_oracle');
  }
  if (outcome.error?.code === READ_ONLY_VIOLATION) return { checked: true, violation: outcome.error.message };
  if (!outcome.error && verdict.rerun) await session.run(unit.text);
  return { checked: true };
}

async function replayFile(options: ReplayOptions, file: CorpusFile, database: string, template: string | undefined): Promise<{ report: FileReport; violations: ReadOnlyViolation[] }> {
  const started = performance.now();
  const admin = new Session(options.url('postgres'), options.cancelAfterMs ?? 10_000);
  await admin.open();
  const created = await admin.run(`CREATE DATABASE "${database}"${template ? ` TEMPLATE "${template}"` : ''}`);
  if (created.error) throw new Error(`cannot create database ${database}: ${created.error.message}`);
  const session = new Session(options.url(database), options.cancelAfterMs ?? 10_000);
  const violations: ReadOnlyViolation[] = [];
  const units = splitPsqlScript(readCorpusFile(file));
  let checked = 0;
  try {
    await session.open();
    for (const unit of units) {
      const result = await replayUnit(session, unit, options.judge(unit.text));
      if (result.checked) checked++;
      if (result.violation) violations.push({ file: file.name, line: unit.line, sql: unit.text, message: result.violation });
    }
  } finally {
    await session.close();
    await admin.run(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.close();
  }
  return { report: { file: file.name, units: units.length, checked, ms: performance.now() - started }, violations };
}

/** Replays every file (each in a fresh database) and collects read-only violations. */
export async function replayCorpus(options: ReplayOptions): Promise<ReplayReport> {
  let template: string | undefined;
  if (options.setup) {
    template = 'parapet_oracle_template';
    const admin = new Session(options.url('postgres'), options.cancelAfterMs ?? 10_000);
    await admin.open();
    await admin.run(`CREATE DATABASE "${template}"`);
    await admin.close();
    const session = new Session(options.url(template), options.cancelAfterMs ?? 10_000);
    await session.open();
    for (const unit of splitPsqlScript(readCorpusFile(options.setup))) await session.run(unit.text);
    await session.close();
  }
  const files: FileReport[] = [];
  const violations: ReadOnlyViolation[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < options.files.length; index = next++) {
      const result = await replayFile(options, options.files[index]!, `parapet_oracle_${index}`, template);
      files[index] = result.report;
      violations.push(...result.violations);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { files, violations: violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line) };
}
