/**
 * `parapet analyze [--json] [FILE…]`: what each statement of SQL files (or standard input) does, as
 * the analyser sees it. A readable summary by default; with `--json`, one JSON object per statement
 * per line. Exit 0 when every statement parsed, 1 when some did not, 2 on usage errors.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { analyzeEach, initParser, type Effect, type StatementAnalysis } from '../../sql/index.js';

export interface AnalyzeOptions {
  json: boolean;
  files: string[];
}

export interface AnalyzeIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<Buffer>;
}

interface Input {
  file: string;
  bytes: Buffer;
}

/** The byte offset of the first invalid UTF-8 sequence, or -1. */
function invalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points past U+10FFFF.
    const c1 = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 >= 0xa0) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 >= 0x90)) return i;
    i += n;
  }
  return -1;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** One statement of one input as the command reports it. */
interface Report {
  file?: string;
  line: number;
  statement: StatementAnalysis;
}

function analyzeInput(input: Input, several: boolean): Report[] {
  const file = several ? input.file : undefined;
  const bad = invalidUtf8(input.bytes);
  const text = input.bytes.toString('utf8');
  if (bad >= 0) {
    const position = input.bytes.subarray(0, bad).toString('utf8').length + 1;
    const statement: StatementAnalysis = {
      index: 0, sql: '', start: 0, end: 0, kind: 'unknown', readOnly: 'unknown', effects: [], parameterCount: 0, tags: {}, fingerprint: '',
      error: { code: '22021', message: `invalid UTF-8 at byte ${bad}`, position },
    };
    return [{ ...(file ? { file } : {}), line: lineOf(text, position - 1), statement }];
  }
  return analyzeEach(text).statements.map((statement) => ({ ...(file ? { file } : {}), line: lineOf(text, statement.start), statement }));
}

function jsonLine(r: Report, index: number): string {
  const s = r.statement;
  const out: Record<string, unknown> = { index };
  if (r.file !== undefined) out.file = r.file;
  Object.assign(out, { line: r.line, sql: s.sql, kind: s.kind, readOnly: s.readOnly, effects: s.effects, tags: s.tags, fingerprint: s.fingerprint });
  if (s.limit !== undefined) out.limit = s.limit;
  if (s.parameterCount > 0) out.parameterCount = s.parameterCount;
  if (s.unclassified) out.unclassified = s.unclassified;
  if (s.error) out.error = s.error;
  return JSON.stringify(out);
}

function relation(r: { catalog?: string; schema?: string; name: string }): string {
  return [r.catalog, r.schema, r.name].filter((p) => p !== undefined).join('.');
}

/** One readable line per effect; safe builtin calls are left out (the JSON has them). */
export function describeEffect(e: Effect): string | undefined {
  const where: string[] = [];
  if (e.via) where.push(`via ${e.via}`);
  if (e.deferred) where.push(`deferred: ${e.deferred}`);
  const suffix = where.length ? ` (${where.join(', ')})` : '';
  const text = (() => {
    switch (e.type) {
      case 'read':
        return `read ${relation(e.relation)}${e.columns ? ` (${e.columns.join(', ')})` : ''}${e.viaFunction ? ` through ${e.viaFunction}()` : ''}`;
      case 'write':
        return `write ${e.operation} ${relation(e.relation)}${e.where ? ` where: ${e.where}` : ''}${e.inCte ? ' in a CTE' : ''}`;
      case 'ddl':
        return `ddl ${e.operation} ${e.objectKind} ${e.names.join(', ')}${e.column ? ` column ${e.column}` : ''}${e.cascade ? ' cascade' : ''}`;
      case 'privilege':
        return `privilege ${e.operation} ${[...(e.privileges ?? []), ...e.targets].join(' ')}${e.grantees?.length ? ` → ${e.grantees.join(', ')}` : ''}`;
      case 'config':
        return `config ${e.operation}${e.name ? ` ${e.name}` : ''}${e.value !== undefined ? ` = ${e.value}` : ''}${e.target ? ` on ${e.target}` : ''}${e.safety ? ` [${e.safety.join(', ')}]` : ''}`;
      case 'transaction':
        return `transaction ${e.operation}${e.readOnly === false ? ' read write' : e.readOnly ? ' read only' : ''}`;
      case 'external':
        return `external ${e.channel} ${e.direction}${e.target !== undefined ? ` ${e.target}` : ''}${e.function ? ` by ${e.function}()` : ''}`;
      case 'function':
        if (e.class === 'safe') return undefined;
        return `function ${e.operator ? `operator ${e.operator}` : `${e.schema ? `${e.schema}.` : ''}${e.name}()`} ${e.class} in ${e.clause}`;
      case 'dynamic-sql':
        return `dynamic-sql ${e.source} ${e.language}${e.opaque ? ' opaque' : ''}${e.detail ? `: ${e.detail}` : ''}`;
      case 'prepared':
        return `prepared ${e.operation}${e.name ? ` ${e.name}` : ''}`;
      case 'explain':
        return e.analyze ? 'explain analyze (runs the statement)' : 'explain (plans only)';
      case 'lock':
        return `lock ${e.mode} ${e.relations.map(relation).join(', ')}`;
      case 'sensitive-parameter':
        return `sensitive parameter $${e.parameter} of ${e.function}() (${e.concern})`;
      case 'session':
        return `session ${e.operation}${e.detail ? ` ${e.detail}` : ''}`;
    }
  })();
  return text === undefined ? undefined : text + suffix;
}

function summary(r: Report, index: number): string {
  const s = r.statement;
  const place = `${r.file ? `${r.file}:` : 'line '}${r.line}`;
  const lines = [`#${index + 1} ${place}  ${s.kind}  read-only: ${s.readOnly}`];
  const sql = s.sql.length > 200 ? `${s.sql.slice(0, 200)}…` : s.sql;
  if (sql) lines.push(`  ${sql.replace(/\s*\n\s*/g, ' ')}`);
  if (s.error) lines.push(`  error ${s.error.code}: ${s.error.message}${s.error.position !== undefined ? ` (at character ${s.error.position})` : ''}`);
  for (const e of s.effects) {
    const line = describeEffect(e);
    if (line) lines.push(`  - ${line}`);
  }
  if (s.limit !== undefined) lines.push(`  - limit ${s.limit}`);
  const tags = Object.entries(s.tags);
  if (tags.length) lines.push(`  - tags ${tags.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  if (s.unclassified) lines.push(`  - unclassified nodes ${s.unclassified.join(', ')}`);
  return lines.join('\n');
}

/** Runs the command and returns its exit code. */
export async function runAnalyze(options: AnalyzeOptions, io: AnalyzeIO): Promise<number> {
  const inputs: Input[] = [];
  const names = options.files.length ? options.files : ['-'];
  for (const name of names) {
    try {
      inputs.push({ file: name === '-' ? '<stdin>' : name, bytes: name === '-' ? await io.readStdin() : await readFile(name) });
    } catch (error) {
      io.stderr(`error: cannot read \`${name}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
      return 2;
    }
  }
  await initParser();
  const reports = inputs.flatMap((input) => analyzeInput(input, inputs.length > 1));
  if (options.json) {
    io.stdout(reports.map((r, i) => jsonLine(r, i) + '\n').join(''));
  } else {
    io.stdout(reports.map((r, i) => summary(r, i)).join('\n\n') + (reports.length ? '\n' : 'no statements\n'));
  }
  return reports.some((r) => r.statement.error) ? 1 : 0;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('describe what each SQL statement does (kind, read-only, effects), as the guard sees it')
    .argument('[files...]', 'SQL files to analyse; standard input when none (or `-`)')
    .option('--json', 'one JSON object per statement per line', false)
    .addHelpText(
      'after',
      '\nExit status: 0 when every statement parsed, 1 when some did not, 2 on usage errors.\n\nExamples:\n  parapet analyze migration.sql\n  echo "DELETE FROM users" | parapet analyze --json\n',
    )
    .action(async (files: string[], opts: { json: boolean }) => {
      const io: AnalyzeIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), readStdin };
      process.exitCode = await runAnalyze({ json: opts.json, files }, io);
    });
}
