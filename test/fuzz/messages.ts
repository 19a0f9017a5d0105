/**
 * What the fuzzer sends: scripts of frontend messages for one connection, before login (startup
 * phase) or after it (ready phase). Valid messages, the same mutated (bytes flipped, inserted,
 * dropped, truncated, length word rewritten, type byte changed), random frames, and messages out of
 * phase (Bind before Parse, CopyData outside COPY, a second StartupMessage, SSLRequest after login).
 */
import * as fe from '../../src/protocol/encode-frontend.js';
import type { Random } from './random.js';

export interface FuzzMessage {
  /** What was sent, for a failure report. */
  label: string;
  bytes: Buffer;
  /** False when the bytes leave the stream mis-framed (a length that lies, a truncated frame). */
  framed: boolean;
}

const STATEMENTS = [
  'select 1',
  'select $1::int + 1',
  'select $1::text, $2::text',
  'begin',
  'commit',
  'rollback',
  'begin read only',
  'savepoint s1',
  'rollback to savepoint s1',
  'select pg_sleep(0.01)',
  'select * from fuzz_t limit 3',
  'create table if not exists fuzz_t (a int, b text)',
  'insert into fuzz_t values ($1::int, $2)',
  'update fuzz_t set b = $1 where a = $2::int',
  'delete from fuzz_t',
  'copy fuzz_t from stdin',
  'copy (select g from generate_series(1, 5) g) to stdout',
  'copy fuzz_t to stdout',
  'prepare fz as select $1::int',
  'execute fz(1)',
  'deallocate all',
  'discard all',
  'reset all',
  'set statement_timeout = 0',
  "set client_encoding = 'LATIN1'",
  'set standard_conforming_strings = off',
  'show all',
  'select * from pg_stat_activity',
  'drop table fuzz_t',
  'listen fz',
  'notify fz',
  'declare c cursor for select 1',
  'fetch 1 from c',
  'select 1; select 2; select 3',
  "do $$ begin perform 1; end $$",
  "select set_config('search_path', 'pg_temp', false)",
  "select E'\\\\x00'",
  'select repeat($1, 1000)',
  '',
  ';',
  'select',
  'explain analyze delete from fuzz_t',
  "/* reason='fuzz' */ select 1",
] as const;

const NAMES = ['', 'a', 'fz', 's1', 'p1', 'c', 'x'.repeat(70), 'é'];

function sql(random: Random): string {
  const base = random.pick(STATEMENTS);
  if (random.chance(0.7)) return base;
  // Mangle the text: replace, insert or drop characters, or glue two statements. (NUL bytes come
  // from the byte-level mutations: the encoder cannot put one in a string.)
  const chars = [...base];
  const edits = random.between(1, 4);
  for (let i = 0; i < edits; i++) {
    const at = random.int(chars.length + 1);
    const roll = random.int(4);
    if (roll === 0) chars.splice(at, 1);
    else if (roll === 1) chars.splice(at, 0, random.pick(["'", '"', '$', ';', '\\', '(', ')', '--', '/*', '\u00ff', ' ', 'x']));
    else if (roll === 2) chars.splice(at, 0, String.fromCharCode(1 + random.int(0x24f)));
    else chars.push(`; ${random.pick(STATEMENTS)}`);
  }
  return chars.join('');
}

function params(random: Random): (string | Buffer | null)[] {
  const n = random.chance(0.1) ? random.int(70) : random.int(4);
  return Array.from({ length: n }, () => (random.chance(0.15) ? null : random.chance(0.6) ? String(random.int(1000)) : random.bytes(random.size(64))));
}

/** A well-formed ready-phase message. */
function validReady(random: Random): FuzzMessage {
  const kind = random.weighted([
    ['query', 20],
    ['parse', 12],
    ['bind', 12],
    ['describe', 6],
    ['execute', 8],
    ['close', 4],
    ['sync', 12],
    ['flush', 4],
    ['copy-data', 5],
    ['copy-done', 3],
    ['copy-fail', 2],
    ['function-call', 2],
    ['password', 2],
  ] as const);
  const name = (): string => random.pick(NAMES);
  const frame = (label: string, bytes: Buffer): FuzzMessage => ({ label, bytes, framed: true });
  switch (kind) {
    case 'query': {
      const text = sql(random);
      return frame(`Query ${JSON.stringify(text.slice(0, 60))}`, fe.query(text));
    }
    case 'parse': {
      const types = Array.from({ length: random.int(3) }, () => random.pick([0, 23, 25, 17, 0xffffffff, random.int(100000)]));
      return frame('Parse', fe.parse(name(), sql(random), types));
    }
    case 'bind': {
      const values = params(random);
      const formats = random.pick([[], [0], [1], values.map(() => random.int(2)), [2]]);
      return frame('Bind', fe.bind({ portal: name(), statement: name(), params: values, paramFormats: formats, resultFormats: random.pick([[], [0], [1], [0, 1, 1]]) }));
    }
    case 'describe':
      return frame('Describe', fe.describe(random.pick(['S', 'P'] as const), name()));
    case 'execute':
      return frame('Execute', fe.execute(name(), random.pick([0, 1, 2, -1, 0x7fffffff])));
    case 'close':
      return frame('Close', fe.close(random.pick(['S', 'P'] as const), name()));
    case 'sync':
      return frame('Sync', fe.sync());
    case 'flush':
      return frame('Flush', fe.flush());
    case 'copy-data':
      return frame('CopyData', fe.copyData(random.chance(0.5) ? Buffer.from(`${random.int(100)}\tfuzz\n`) : random.bytes(random.size(2048))));
    case 'copy-done':
      return frame('CopyDone', fe.copyDone());
    case 'copy-fail':
      return frame('CopyFail', fe.copyFail('fuzz'));
    case 'function-call':
      return frame('FunctionCall', fe.functionCall({ functionOid: random.int(5000), args: [random.bytes(random.size(16))] }));
    case 'password':
      return frame('PasswordMessage', fe.passwordMessage(random.bytes(random.size(64))));
  }
}

/** Messages that belong to another phase, sent after login. */
function outOfPhase(random: Random): FuzzMessage {
  const startup = (label: string, bytes: Buffer): FuzzMessage => ({ label, bytes, framed: false });
  return random.weighted([
    [() => startup('StartupMessage again', fe.startupMessage({ user: 'alice', database: 'postgres' })), 3],
    [() => startup('SSLRequest after login', fe.sslRequest()), 2],
    [() => startup('GSSENCRequest after login', fe.gssencRequest()), 1],
    [() => startup('CancelRequest after login', fe.cancelRequest(random.int(2 ** 31), random.bytes(4))), 2],
    [() => ({ label: 'Bind before Parse', bytes: fe.bind({ statement: `never_parsed_${random.int(100)}`, portal: 'p' }), framed: true }), 3],
    [() => ({ label: 'Execute of an unknown portal', bytes: fe.execute(`nowhere_${random.int(100)}`), framed: true }), 2],
    [() => ({ label: 'CopyData outside COPY', bytes: fe.copyData(random.bytes(random.size(256))), framed: true }), 3],
    [() => ({ label: 'CopyDone outside COPY', bytes: fe.copyDone(), framed: true }), 2],
  ] as const)();
}

/** A tagged frame of any type byte with a payload of random bytes. */
function randomFrame(random: Random): FuzzMessage {
  const type = random.chance(0.7) ? random.pick([...'BCdcDEHFPpQSX'].map((c) => c.charCodeAt(0))) : random.int(256);
  const payload = random.bytes(random.size());
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(payload.length + 4, 1);
  return { label: `random frame ${String.fromCharCode(type)} (${payload.length} bytes)`, bytes: Buffer.concat([header, payload]), framed: true };
}

/** A valid message, broken in one of several ways. */
function mutate(message: FuzzMessage, random: Random, tagged: boolean): FuzzMessage {
  const bytes = Buffer.from(message.bytes);
  const lengthAt = tagged ? 1 : 0;
  const how = random.weighted([
    ['flip', 5],
    ['insert', 2],
    ['drop', 2],
    ['truncate', 2],
    ['length', 4],
    ['type', tagged ? 2 : 0],
  ] as const);
  switch (how) {
    case 'flip': {
      // Flipping bytes after the header keeps the framing valid: garbage inside a well-framed message.
      const from = lengthAt + 4;
      for (let i = random.between(1, 4); i > 0 && bytes.length > from; i--) {
        const at = from + random.int(bytes.length - from);
        bytes[at] = bytes[at]! ^ (1 + random.int(255));
      }
      return { label: `${message.label}, bytes flipped`, bytes, framed: message.framed };
    }
    case 'insert': {
      const at = random.int(bytes.length + 1);
      return { label: `${message.label}, bytes inserted`, bytes: Buffer.concat([bytes.subarray(0, at), random.bytes(random.between(1, 8)), bytes.subarray(at)]), framed: false };
    }
    case 'drop': {
      const at = random.int(bytes.length);
      return { label: `${message.label}, bytes dropped`, bytes: Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + random.between(1, 8))]), framed: false };
    }
    case 'truncate':
      return { label: `${message.label}, truncated`, bytes: bytes.subarray(0, random.int(bytes.length)), framed: false };
    case 'length': {
      if (bytes.length < lengthAt + 4) return { label: message.label, bytes, framed: message.framed };
      const actual = bytes.readInt32BE(lengthAt);
      const value = random.pick([0, 1, 3, 4, -1, -2147483648, 0x7fffffff, 0x40000000, 64 * 1024 * 1024 + 1, actual - 1, actual + 1, actual + random.int(100_000), random.int(2 ** 31)]);
      bytes.writeInt32BE(value | 0, lengthAt);
      return { label: `${message.label}, length ${value | 0} (actual ${actual})`, bytes, framed: false };
    }
    case 'type':
      bytes[0] = random.int(256);
      return { label: `${message.label}, type byte ${bytes[0]}`, bytes, framed: true };
  }
}

/** A script for a connection that has logged in. */
export function readyScript(random: Random): FuzzMessage[] {
  const length = random.chance(0.1) ? random.between(40, 200) : random.between(1, 30);
  const script: FuzzMessage[] = [];
  for (let i = 0; i < length; i++) {
    const roll = random.weighted([
      ['valid', 50],
      ['mutated', 25],
      ['random', 10],
      ['out-of-phase', 10],
      ['large', 2],
      ['terminate', 1],
    ] as const);
    if (roll === 'valid') script.push(validReady(random));
    else if (roll === 'mutated') script.push(mutate(validReady(random), random, true));
    else if (roll === 'random') script.push(randomFrame(random));
    else if (roll === 'out-of-phase') script.push(outOfPhase(random));
    else if (roll === 'large') script.push({ label: 'Query of 256 KiB', bytes: fe.query(`select '${'x'.repeat(256 * 1024)}'`), framed: true });
    else script.push({ label: 'Terminate', bytes: fe.terminate(), framed: true });
  }
  return script;
}

/** A script for a connection that never logs in: startup-phase packets, valid, mutated and random. */
export function startupScript(random: Random): FuzzMessage[] {
  const length = random.between(1, 6);
  const script: FuzzMessage[] = [];
  for (let i = 0; i < length; i++) {
    const valid = random.weighted([
      [() => fe.startupMessage({ user: random.pick(['alice', 'bot', 'nobody', '']), database: random.pick(['postgres', 'x', '']), ...(random.chance(0.3) ? { options: `-c ${random.pick(['statement_timeout', 'search_path', 'role'])}=${random.int(9)}` } : {}), ...(random.chance(0.2) ? { replication: 'true' } : {}) }, random.pick([196608, 196609, 131072, 0x12345678, 196608])), 6],
      [() => fe.sslRequest(), 2],
      [() => fe.gssencRequest(), 1],
      [() => fe.cancelRequest(random.int(2 ** 31), random.bytes(random.pick([4, 4, 0, 32]))), 2],
      [() => fe.saslInitialResponse(random.pick(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'bogus']), random.bytes(random.size(128))), 2],
      [() => fe.saslResponse(random.bytes(random.size(128))), 1],
      [() => Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]), 1],
    ] as const)();
    const message: FuzzMessage = { label: 'startup-phase packet', bytes: valid, framed: true };
    const roll = random.int(10);
    if (roll < 4) script.push(message);
    else if (roll < 8) script.push(mutate(message, random, false));
    else script.push({ label: 'random bytes', bytes: random.bytes(random.size(64)), framed: false });
  }
  return script;
}
