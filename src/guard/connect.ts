/**
 * Decisions at connection startup. Settings can arrive below the SQL — as startup parameters or as
 * `-c name=value` inside `options` — and must not set what a `SET` would be denied: each is decided
 * as the matching `SET` statement, through the same pipeline.
 */
import { strictest } from '../policy/combine.js';
import { DENIED_SQLSTATE } from '../policy/decide.js';
import { EngineRule } from '../policy/policy.js';
import type { Actor, Decision } from '../policy/types.js';
import type { Guard } from './types.js';

/** Startup keys that are not settings. */
const NOT_SETTINGS = new Set(['user', 'database', 'options', 'replication']);
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

export async function decideStartup(guard: Guard, actor: Actor, database: string, given: Readonly<Record<string, string | undefined>>): Promise<Decision> {
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) if (value !== undefined) parameters[key] = value;
  if (actor.databases && !actor.databases.includes(database)) {
    return refuse(
      EngineRule.database,
      `${actor.kind} \`${actor.name}\` may not connect to database \`${database}\``,
      actor.databases.length ? `connect to ${actor.databases.map((d) => `\`${d}\``).join(', ')}` : 'this actor may not connect to any database',
    );
  }
  const replication = parameters.replication;
  if (replication !== undefined && !FALSE_WORDS.has(replication.toLowerCase())) {
    return refuse(EngineRule.startup, 'replication connections are not allowed through parapet', 'connect without `replication`; replication bypasses statement checks');
  }

  const settings: [string, string][] = Object.entries(parameters).filter(([key]) => !NOT_SETTINGS.has(key));
  if (parameters.options !== undefined) {
    const parsed = parseOptions(parameters.options);
    if ('error' in parsed) return refuse(EngineRule.startup, parsed.error, 'pass settings in `options` only as `-c name=value`');
    settings.push(...parsed.settings);
  }
  const decisions: Decision[] = [];
  for (const [name, value] of settings) {
    if (!SETTING_NAME.test(name)) {
      decisions.push(refuse(EngineRule.startup, `\`${name}\` is not a setting name`, 'pass settings as `name=value` with a plain setting name'));
      continue;
    }
    const sql = `SET ${name} TO '${value.replaceAll("'", "''")}'`;
    const { decision } = await guard.evaluate({ sql, actor, session: { database, door: 'proxy' } });
    decisions.push(decision);
  }
  const decision = strictest(decisions);
  return decisions.length ? decision : { action: 'allow', rules: [], message: 'allowed', obligations: {}, reasons: [], errors: [] };
}

/**
 * The backend's split of `options` (whitespace separates, backslash escapes the next character)
 * and its switches: `-c name=value`, `-cname=value`, `--name=value`. Any other switch is refused,
 * since it would configure the session in ways the engine does not see.
 */
export function parseOptions(options: string): { settings: [string, string][] } | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i]!;
    if (ch === '\\' && i + 1 < options.length) {
      word += options[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);

  const settings: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let assignment: string | undefined;
    if (w === '-c') assignment = words[++i];
    else if (w.startsWith('-c')) assignment = w.slice(2);
    else if (w.startsWith('--')) assignment = w.slice(2);
    else return { error: `unsupported switch \`${w}\` in the startup options` };
    const eq = assignment?.indexOf('=') ?? -1;
    if (assignment === undefined || eq <= 0) return { error: `\`${w}${assignment && w === '-c' ? ` ${assignment}` : ''}\` in the startup options is not \`name=value\`` };
    // The backend treats dashes in option names as underscores.
    settings.push([assignment.slice(0, eq).replaceAll('-', '_'), assignment.slice(eq + 1)]);
  }
  return { settings };
}

function refuse(rule: string, message: string, hint: string): Decision {
  return { action: 'deny', rules: [rule], message, hint, sqlstate: DENIED_SQLSTATE, obligations: {}, reasons: [{ rule, action: 'deny', message, hint }], errors: [] };
}
