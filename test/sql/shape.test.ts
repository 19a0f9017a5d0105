import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModule, scanSync } from 'libpg-query';
import { lex, shapeKey, type TokenKind } from '../../src/sql/shape.js';
import { corpusFiles, readCorpusFile, splitPsqlScript } from '../support/corpus.js';

const kinds = (sql: string) => lex(sql).tokens.map((t) => `${t.kind}:${sql.slice(t.start, t.end)}`);

test('lexes every token class with its boundaries', () => {
  assert.deepEqual(kinds(`SELECT "Ab""c", U&"d\\0061", foo_1$, $1, x::int`), [
    'keyword:SELECT',
    'quoted-identifier:"Ab""c"',
    'punctuation:,',
    'quoted-identifier:U&"d\\0061"',
    'punctuation:,',
    'identifier:foo_1$',
    'punctuation:,',
    'parameter:$1',
    'punctuation:,',
    'identifier:x',
    'punctuation:::',
    'keyword:int',
  ]);
  assert.deepEqual(kinds(`'it''s' E'a\\'b' B'01' X'ff' U&'\\0041' N'n' $$x$$ $t$ $$ $t$`), [
    "string:'it''s'",
    "escape-string:E'a\\'b'",
    "bit-string:B'01'",
    "hex-string:X'ff'",
    "unicode-string:U&'\\0041'",
    'keyword:N',
    "string:'n'",
    'string:$$x$$',
    'string:$t$ $$ $t$',
  ]);
  assert.deepEqual(kinds(`1 1_000 0x1F 2147483648 1.5 .5 1e5 1..2`), [
    'integer:1',
    'integer:1_000',
    'integer:0x1F',
    'float:2147483648',
    'float:1.5',
    'float:.5',
    'float:1e5',
    'integer:1',
    'punctuation:..',
    'integer:2',
  ]);
  assert.deepEqual(kinds(`a=-1 a@-1 a<>b a+/*c*/b`), [
    'identifier:a',
    'operator:=',
    'operator:-',
    'integer:1',
    'identifier:a',
    'operator:@-',
    'integer:1',
    'identifier:a',
    'operator:<>',
    'identifier:b',
    'identifier:a',
    'operator:+',
    'identifier:b',
  ]);
});

test('joins string literals continued across a newline, not across a comment', () => {
  assert.deepEqual(kinds(`'a'\n  'b'`), [`string:'a'\n  'b'`]);
  assert.deepEqual(kinds(`'a' 'b'`), [`string:'a'`, `string:'b'`]);
  assert.deepEqual(kinds(`'a' -- c\n'b'`), [`string:'a'`, `string:'b'`]);
});

test('reports nested comments and lex errors', () => {
  const lexed = lex(`select /* a /* b */ c */ 1 -- tail`);
  assert.deepEqual(
    lexed.comments.map((c) => [c.start, c.end]),
    [
      [7, 24],
      [27, 34],
    ],
  );
  for (const bad of [`select 'abc`, `select "abc`, `select $$abc`, `select /* a`, `select ""`, `select 1abc`, `select 0x`, `select E'\\u12'`, `select $99999999999`, `select 1\0`]) {
    assert.ok(lex(bad).error, bad);
    assert.equal(shapeKey(bad), undefined, bad);
  }
});

test('the shape key drops literals, comments, whitespace and case', () => {
  const a = shapeKey(`SELECT abalance FROM pgbench_accounts WHERE aid = 48213;`);
  const b = shapeKey(`select abalance\n  from pgbench_accounts /* c */ where aid=7 ;`);
  assert.ok(a && b);
  assert.equal(a.key, b.key);
  assert.deepEqual(a.literals, ['48213']);
  assert.deepEqual(b.literals, ['7']);
  assert.equal(shapeKey(`select 'x', $$y$$, E'z'`)?.key, shapeKey(`select 'p', 'q', 'r'`)?.key);
});

test('the shape key keeps what changes the parse', () => {
  const differ = (x: string, y: string) => assert.notEqual(shapeKey(x)?.key, shapeKey(y)?.key, `${x} | ${y}`);
  differ(`select 1`, `select 1.5`);
  differ(`select 1`, `select 99999999999`);
  differ(`select 1`, `select '1'`);
  differ(`select B'1'`, `select X'1'`);
  differ(`select "a"`, `select a`);
  differ(`select "A"`, `select "a"`);
  differ(`select 'a'\n'b'`, `select 'a' 'b'`);
  differ(`select N'a'`, `select n 'a'`);
  differ(`select 1::float(10)`, `select 1::float(30)`);
  differ(`select $1`, `select $2`);
  differ(`select a+-1`, `select a+ -1`.replace(' ', ''));
  assert.equal(shapeKey(`select N'a'`)?.key, shapeKey(`select nchar 'b'`)?.key);
});

test('the shape key refuses literals whose value the scanner or grammar checks', () => {
  for (const sql of [`select U&'\\0041'`, `select U&'!0041' UESCAPE '!'`, `select E'\\x41'`, `select E'\\101'`, `select E'\\u0041'`]) {
    assert.equal(shapeKey(sql), undefined, sql);
  }
  assert.ok(shapeKey(`select E'\\n\\t\\''`));
  assert.ok(shapeKey(`select U&"a"`));
});

/** scanSync's token types for literal tokens (PostgreSQL 18 gram.h), and what this lexer calls them. */
const SCAN_LITERAL: Record<number, TokenKind[]> = {
  258: ['identifier', 'quoted-identifier'], // IDENT
  259: ['quoted-identifier'], // UIDENT
  260: ['float'], // FCONST
  261: ['string', 'escape-string'], // SCONST
  262: ['unicode-string'], // USCONST
  263: ['bit-string'], // BCONST
  264: ['hex-string'], // XCONST
  266: ['integer'], // ICONST
  267: ['parameter'], // PARAM
};
const SCAN_COMMENT = new Set([275, 276]); // SQL_COMMENT, C_COMMENT
const OTHER_KINDS: TokenKind[] = ['operator', 'punctuation', 'other'];

interface ScanToken {
  start: number;
  end: number;
  tokenType: number;
  keywordKind: number;
}

/** UTF-8 byte offset → character offset, for every byte offset that starts a character (and the end). */
function byteToChar(text: string): Map<number, number> {
  const map = new Map<number, number>();
  let byte = 0;
  for (let i = 0; i < text.length; i++) {
    map.set(byte, i);
    const c = text.codePointAt(i)!;
    byte += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  map.set(byte, text.length);
  return map;
}

function scan(text: string): ScanToken[] | undefined {
  try {
    return scanSync(text).tokens as ScanToken[];
  } catch {
    return undefined;
  }
}

/** The first difference between this lexer and scanSync on `text`, or undefined when they agree (both failing is agreeing). */
function compare(text: string, theirs = scan(text)): string | undefined {
  const mine = lex(text);
  if (!theirs) return mine.error ? undefined : 'scanSync fails, this lexer does not';
  if (mine.error) return `this lexer fails (${mine.error.message}) at offset ${mine.error.offset}, scanSync does not`;
  const ours = [...mine.tokens, ...mine.comments.map((c) => ({ ...c, kind: 'comment' as const }))].sort((x, y) => x.start - y.start);
  const chars = byteToChar(text);
  for (let k = 0; k < Math.max(ours.length, theirs.length); k++) {
    const o = ours[k];
    const t = theirs[k];
    const tStart = t && chars.get(t.start);
    const tEnd = t && chars.get(t.end);
    if (!o || !t || o.start !== tStart || o.end !== tEnd) {
      const at = o?.start ?? tStart ?? text.length;
      return `token ${k} at offset ${at}: mine ${o ? JSON.stringify(text.slice(o.start, o.end)) : 'none'}, scanSync ${
        t ? JSON.stringify(text.slice(tStart ?? 0, tEnd ?? 0)) : 'none'
      }`;
    }
    const expected: readonly string[] = SCAN_COMMENT.has(t.tokenType)
      ? ['comment']
      : t.keywordKind > 0
        ? ['keyword']
        : (SCAN_LITERAL[t.tokenType] ?? OTHER_KINDS);
    if (!expected.includes(o.kind)) {
      return `token ${k} at offset ${o.start} ${JSON.stringify(text.slice(o.start, o.end))}: mine ${o.kind}, scanSync type ${t.tokenType}`;
    }
  }
  return undefined;
}

test('token boundaries match libpg-query scanSync over the whole regression corpus', async (t) => {
  const files = corpusFiles();
  if (files.length === 0) return t.skip('corpus not found (../shared/corpus/postgres-regress)');
  await loadModule();
  const mismatches: string[] = [];
  let wholeFiles = 0;
  let units = 0;
  for (const file of files) {
    const text = readCorpusFile(file);
    // scanSync garbles its JSON on control characters; NUL ends a C string.
    const scannable = !/[\u0000-\u0008\u000e-\u001f]/.test(text);
    const whole = scannable ? scan(text) : undefined;
    if (whole) {
      wholeFiles++;
      const difference = compare(text, whole);
      if (difference) mismatches.push(`${file.name}: ${difference}`);
      continue;
    }
    // A file that fails to scan whole (deliberate lexical errors): compare statement by statement.
    for (const unit of splitPsqlScript(text)) {
      if (/[\u0000-\u0008\u000e-\u001f]/.test(unit.text)) continue;
      units++;
      const difference = compare(unit.text);
      if (difference) mismatches.push(`${file.name}:${unit.line}: ${difference}`);
    }
  }
  t.diagnostic(`${wholeFiles} of ${files.length} files compared whole; ${units} statements of the others compared one by one`);
  assert.deepEqual(mismatches, []);
});

test('token boundaries match scanSync on tricky and generated snippets', async () => {
  await loadModule();
  const tricky = [
    `E'\\xff'`, `E'\\xc3\\xa9'`, `E'\\000'`, `E'\\ud83d\\ude00'`, `E'\\ud83d'`, `E'\\ud83d' \n 'x'`, `E'\\u0000'`, `E'\\U00110000'`,
    `B'a''b'`, `X'1' \n 'ab'`, `'a'\r'b'`, `'a' \t\n \n 'b'`, `$a x`, `$ x`, `a$$b`, `$1a`, `$1_0`, `1.e5`, `0x_1f`, `0x1_f`, `0b102`,
    `1.x`, `.e5`, `1.5..2`, `a<=>b`, `@-1`, `a !- b`, `a ~ -b`, `a*-b`, `a+-b`, `a-/**/b`, `a --b`, `:=`, `::`, `a:b`, `é€😀 "é" 'ü'`,
    `U&x`, `u&'a'`, `U&"a" UESCAPE '!'`, `n'x'`, `nx'y'`, `e'\\''`, `x'`, `b''`, `"a""b"`, `/*/**/*/`, `/* ** / */ x`, `a\u00a0b`,
    `${'+'.repeat(70)}`, `1__0`, `1_`, `0o`, `1e+`, `1e-5x`, `{}`, `\\d`, `?|`, `#>>`, `||/`, `!!=`, `=>`, `>=`, `!=`, `<>`,
  ];
  const mismatches = tricky.flatMap((s) => {
    const d = compare(s);
    return d ? [`${JSON.stringify(s)}: ${d}`] : [];
  });
  // Seeded random snippets from fragments that meet at token edges.
  const fragments = [`'`, `"`, `$`, `$$`, `$a$`, `1`, `0x`, `_`, `.`, `e`, `E`, `+`, `-`, `*`, `/`, `@`, `<`, `=`, `!`, `#`, `:`, ` `, `\n`, `a`, `u&`, `b`, `\\`, `''`, `1.5`, `--`, `/*`, `*/`, `;`, `(`, `é`];
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let n = 0; n < 20000; n++) {
    let s = '';
    const len = 1 + Math.floor(random() * 8);
    for (let k = 0; k < len; k++) s += fragments[Math.floor(random() * fragments.length)];
    const d = compare(s);
    if (d) mismatches.push(`${JSON.stringify(s)}: ${d}`);
  }
  assert.deepEqual(mismatches, []);
});
