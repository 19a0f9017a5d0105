/**
 * The PostgreSQL regression corpus (../shared/corpus/postgres-regress), split the way psql splits
 * a script: statements end at a `;` outside parentheses and outside a BEGIN ATOMIC body, psql
 * backslash commands are cut out (a `\g`-style command sends what came before it), `\;` joins
 * statements into one message, and the data lines after COPY … FROM stdin are set aside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanAt } from '../../src/sql/shape.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Relative to the repository, wherever the tests run from (source or dist). */
export const CORPUS_DIR = resolve(REPO.endsWith('dist') ? resolve(REPO, '..') : REPO, '../shared/corpus/postgres-regress');
const SUITES = ['postgres_regress', 'plpgsql_regress'];

export interface CorpusFile {
  /** Path relative to the corpus directory, e.g. `postgres_regress/select.sql`. */
  name: string;
  path: string;
}

/** Every corpus file, suite by suite, in name order. Empty when the corpus is not there. */
export function corpusFiles(): CorpusFile[] {
  return SUITES.flatMap((suite) => {
    const dir = join(CORPUS_DIR, suite);
    let names: string[];
    try {
      names = readdirSync(dir).filter((f) => f.endsWith('.sql'));
    } catch {
      return [];
    }
    return names.sort().map((f) => ({ name: relative(CORPUS_DIR, join(dir, f)), path: join(dir, f) }));
  });
}

export function readCorpusFile(file: CorpusFile): string {
  return readFileSync(file.path, 'utf8');
}

/** What psql sends to the server in one message. */
export interface ScriptUnit {
  /** 0-based position in the script. */
  index: number;
  /** 1-based line of the unit's first character. */
  line: number;
  /** The SQL sent: one statement, or several joined by `\;`. */
  text: string;
  /** Data blocks of COPY … FROM stdin statements in this unit, one string per block (lines joined by \n, without the `\.`). */
  copyData: string[];
}

/** psql commands that send the query buffer. */
const SENDING_COMMANDS = new Set(['g', 'gx', 'gset', 'gexec', 'gdesc', 'crosstabview', 'watch']);
const BACKSLASH = 92;

/**
 * What psql tracks within one statement: parentheses, and its heuristic for CREATE FUNCTION …
 * BEGIN ATOMIC … END (semicolons inside do not end the statement); plus COPY … FROM stdin.
 */
class StatementState {
  parenDepth = 0;
  beginDepth = 0;
  /** COPY … FROM stdin statements seen, each followed by a data block. */
  copyFromStdin = 0;
  /** First letters of create/function/procedure/or/replace among the first four words, as psql keeps them. */
  private initials: string[] = [];
  private wordCount = 0;
  private previousWord = '';
  private copying = false;

  word(word: string): void {
    const w = word.toLowerCase();
    if (this.wordCount < 4) this.initials.push(['create', 'function', 'procedure', 'or', 'replace'].includes(w) ? w[0]! : '');
    if (this.wordCount === 0) this.copying = w === 'copy';
    this.wordCount++;
    const [a, b, c, d] = this.initials;
    const routine = a === 'c' && (b === 'f' || b === 'p' || (b === 'o' && c === 'r' && (d === 'f' || d === 'p')));
    if (routine && this.parenDepth === 0) {
      if (w === 'begin') this.beginDepth++;
      else if (w === 'case' && this.beginDepth >= 1) this.beginDepth++;
      else if (w === 'end' && this.beginDepth > 0) this.beginDepth--;
    }
    if (this.copying && this.parenDepth === 0 && this.previousWord === 'from' && w === 'stdin') this.copyFromStdin++;
    this.previousWord = w;
  }

  /** `\;` ends a statement without sending it. */
  endStatement(): void {
    this.initials = [];
    this.wordCount = 0;
    this.previousWord = '';
    this.copying = false;
  }
}

/** Splits a psql script into what psql would send, statement by statement. */
export function splitPsqlScript(script: string): ScriptUnit[] {
  const units: ScriptUnit[] = [];
  const lineStarts = [0];
  for (let k = script.indexOf('\n'); k >= 0; k = script.indexOf('\n', k + 1)) lineStarts.push(k + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const lineEnd = (offset: number) => {
    const nl = script.indexOf('\n', offset);
    return nl < 0 ? script.length : nl + 1;
  };

  let buffer = '';
  let bufferStart = -1;
  let hasToken = false;
  let state = new StatementState();
  let pos = 0;

  const append = (from: number, to: number, isToken: boolean) => {
    if (bufferStart < 0) bufferStart = from;
    buffer += script.slice(from, to);
    hasToken ||= isToken;
  };
  /** Sends the buffer; then skips the COPY data blocks that follow the current line. */
  const send = (at: number) => {
    const copies = state.copyFromStdin;
    if (hasToken) units.push({ index: units.length, line: lineOf(bufferStart), text: buffer.trim(), copyData: [] });
    buffer = '';
    bufferStart = -1;
    hasToken = false;
    state = new StatementState();
    if (copies === 0) return at;
    let next = lineEnd(at);
    for (let c = 0; c < copies; c++) {
      const block = copyDataBlock(script, next);
      if (!block) break;
      units[units.length - 1]?.copyData.push(block.data);
      next = block.end;
    }
    return next;
  };

  while (pos < script.length) {
    const lexeme = scanAt(script, pos);
    if (!lexeme) break;
    if (lexeme.kind === 'error') {
      if (lexeme.message.startsWith('unterminated')) {
        // psql keeps reading until the literal closes; at the end of the script it sends what it has.
        append(pos, script.length, true);
        pos = script.length;
        break;
      }
      // Errors psql's own lexer does not raise (numeric junk…): the server will report them.
      append(pos, lexeme.start + 1, true);
      pos = lexeme.start + 1;
      continue;
    }
    if (lexeme.kind === 'other' && script.charCodeAt(lexeme.start) === BACKSLASH) {
      if (hasToken) append(pos, lexeme.start, false);
      const after = script[lexeme.start + 1];
      if (after === ';' || after === ':') {
        append(lexeme.start + 1, lexeme.start + 2, false);
        if (after === ';') state.endStatement();
        pos = lexeme.start + 2;
        continue;
      }
      const end = lineEnd(lexeme.start);
      const commands = script
        .slice(lexeme.start, end)
        .split('\\')
        .map((part) => /^[A-Za-z_]*/.exec(part)![0].toLowerCase());
      pos = commands.some((c) => SENDING_COMMANDS.has(c)) ? send(lexeme.start) : end;
      if (commands.includes('r')) {
        buffer = '';
        bufferStart = -1;
        hasToken = false;
        state = new StatementState();
      }
      pos = Math.max(pos, end);
      continue;
    }
    if (lexeme.kind === 'comment') {
      // psql drops leading -- comments; block comments go into the buffer.
      if (hasToken || script.charCodeAt(lexeme.start) === 47) append(hasToken ? pos : lexeme.start, lexeme.end, false);
      pos = lexeme.end;
      continue;
    }
    const text = script.slice(lexeme.start, lexeme.end);
    // A lone `;` is an empty query: not a statement.
    append(hasToken || bufferStart >= 0 ? pos : lexeme.start, lexeme.end, text !== ';');
    pos = lexeme.end;
    if (lexeme.kind === 'keyword' || lexeme.kind === 'identifier') state.word(text);
    else if (text === '(') state.parenDepth++;
    else if (text === ')') state.parenDepth = Math.max(0, state.parenDepth - 1);
    else if (text === ';' && state.parenDepth === 0 && state.beginDepth === 0) pos = send(lexeme.end);
  }
  if (hasToken) send(script.length);
  return units;
}

/**
 * The data block of a COPY … FROM stdin starting at `from`: lines up to a `\.` line. When the COPY
 * failed, psql sends no data and the lines are SQL again; a line ending in `;` before any `\.`
 * tells so.
 */
function copyDataBlock(script: string, from: number): { data: string; end: number } | undefined {
  const lines: string[] = [];
  let at = from;
  while (at < script.length) {
    const nl = script.indexOf('\n', at);
    const end = nl < 0 ? script.length : nl + 1;
    const line = script.slice(at, nl < 0 ? script.length : nl).replace(/\r$/, '');
    if (line.trimEnd() === '\\.') return { data: lines.join('\n'), end };
    if (line.trimEnd().endsWith(';')) return undefined;
    lines.push(line);
    at = end;
  }
  return undefined;
}

/** Every unit of every corpus file, with its file. */
export function* corpusUnits(): Generator<ScriptUnit & { file: string }> {
  for (const file of corpusFiles()) {
    for (const unit of splitPsqlScript(readCorpusFile(file))) yield { ...unit, file: file.name };
  }
}
