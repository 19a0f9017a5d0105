/**
 * Bearer tokens of the HTTP transport: each token stands for one actor and carries that actor's
 * Parapet password, with which the MCP server logs in to the proxy on the actor's behalf.
 *
 *   tokens:
 *     - actor: agent
 *       token: env:PARAPET_MCP_TOKEN_AGENT     # or `sha256:<64 hex digits>`, or the token itself
 *       password: env:PARAPET_AGENT_PASSWORD   # the actor's password on the proxy (or the password itself)
 *
 * Tokens are kept only as SHA-256 digests, and a presented token is compared with every digest in
 * constant time (no early exit), so neither the answer nor its timing tells how much of it matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigErrorCode, type ConfigIssue } from '../config/errors.js';
import { YamlSource, type Located } from '../config/located-yaml.js';

/** The actor a token stands for. */
export interface TokenActor {
  actor: string;
  password?: string;
}

export interface TokenTable {
  /** The entry whose token this is, or undefined. Entries are distinct objects: compare by identity. */
  lookup(presented: string): TokenActor | undefined;
  readonly size: number;
}

/** Shortest token accepted (a 128-bit random value in hex is 32 characters). */
export const MIN_TOKEN_CHARS = 32;
const DIGEST = /^sha256:([0-9a-f]{64})$/i;

export type LoadTokensResult = { ok: true; table: TokenTable } | { ok: false; issues: ConfigIssue[] };

export function loadTokens(text: string, file: string, env: NodeJS.ProcessEnv): LoadTokensResult {
  const source = new YamlSource(file, text);
  const entries: { digest: Buffer; actor: TokenActor }[] = [];
  const seen = new Set<string>();
  const top = source.root.present ? source.root.mapping('the tokens file', ['tokens']) : undefined;
  if (!top) source.root.issue(ConfigErrorCode.missingKey, 'the tokens file holds a `tokens:` list', 'see docs/mcp.md, "HTTP"');
  const list = top?.get('tokens');
  if (top && !list?.present) source.root.issue(ConfigErrorCode.missingKey, 'the tokens file needs a `tokens:` list');
  for (const item of list?.present ? (list.sequence('`tokens`') ?? []) : []) {
    const map = item.mapping('an entry of `tokens`', ['actor', 'token', 'password']);
    if (!map) continue;
    const actor = required(item, map.get('actor'), '`actor`');
    const tokenNode = map.get('token');
    const token = required(item, tokenNode, '`token`');
    const passwordNode = map.get('password');
    const password = passwordNode?.present ? resolveEnv(passwordNode, '`password`', env) : undefined;
    if (actor === undefined || token === undefined || !tokenNode) continue;
    const digest = tokenDigest(tokenNode, token, env);
    if (!digest) continue;
    const key = digest.toString('hex');
    if (seen.has(key)) {
      tokenNode.issue(ConfigErrorCode.invalidValue, 'this token is already given to another entry', 'give every entry a token of its own');
      continue;
    }
    seen.add(key);
    entries.push({ digest, actor: { actor, ...(password !== undefined ? { password } : {}) } });
  }
  if (source.issues.length > 0) return { ok: false, issues: source.issues };
  if (entries.length === 0) {
    return { ok: false, issues: [{ code: ConfigErrorCode.missingKey, file, line: 1, column: 1, message: 'the tokens file gives no token', hint: 'add an entry under `tokens:`' }] };
  }
  return { ok: true, table: tokenTable(entries) };
}

/** A fresh random token for one actor (the embedded default's HTTP mode without a tokens file). */
export function generatedToken(actor: TokenActor): { token: string; table: TokenTable } {
  const token = randomBytes(32).toString('base64url');
  return { token, table: tokenTable([{ digest: sha256(token), actor }]) };
}

function tokenTable(entries: readonly { digest: Buffer; actor: TokenActor }[]): TokenTable {
  return {
    size: entries.length,
    lookup(presented) {
      const digest = sha256(presented);
      let found: TokenActor | undefined;
      for (const entry of entries) if (timingSafeEqual(digest, entry.digest)) found = entry.actor;
      return found;
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function required(item: Located, node: Located | undefined, what: string): string | undefined {
  if (!node?.present) {
    item.issue(ConfigErrorCode.missingKey, `an entry of \`tokens\` needs ${what}`);
    return undefined;
  }
  return node.string(what);
}

/** The token's digest: given as `sha256:…`, or computed from the token (itself or from `env:`). */
function tokenDigest(node: Located, value: string, env: NodeJS.ProcessEnv): Buffer | undefined {
  const given = DIGEST.exec(value);
  if (given) return Buffer.from(given[1]!, 'hex');
  const token = resolveEnv(node, '`token`', env, value);
  if (token === undefined) return undefined;
  if (token.length < MIN_TOKEN_CHARS) {
    node.issue(ConfigErrorCode.invalidValue, `a token must be at least ${MIN_TOKEN_CHARS} characters long`, 'make one with `openssl rand -hex 32`');
    return undefined;
  }
  return sha256(token);
}

/** `env:VAR` reads the environment; anything else is the value itself. */
function resolveEnv(node: Located, what: string, env: NodeJS.ProcessEnv, text = node.string(what)): string | undefined {
  if (text === undefined || !text.startsWith('env:')) return text;
  const name = text.slice(4);
  const value = env[name];
  if (value === undefined || value === '') node.issue(ConfigErrorCode.missingEnv, `${what} refers to \`${name}\`, which is not set`, `export ${name} before starting parapet mcp`);
  return value || undefined;
}
