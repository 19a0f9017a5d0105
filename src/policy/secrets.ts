/**
 * Actor credentials, kept out of the policy file (which is committed and reviewed). A secrets file
 * maps each actor to one of:
 *
 *   actors:
 *     alice: SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>   # a verifier, as in pg_authid
 *     ci-bot: env:CI_BOT_PASSWORD                                 # read from the environment
 *     dev: { plaintext: devpass }                                 # local development only (warns)
 *
 * An `env:` variable may hold a verifier or a password. The caller (the proxy) turns passwords into
 * SCRAM verifiers. The environment is passed in, so this stays free of I/O.
 */
import { PolicyErrorCode, type PolicyIssue } from './errors.js';
import { locatedIssue, YamlSource } from './yaml-source.js';

export interface ActorSecret {
  /** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` */
  verifier?: string;
  /** A password to derive a verifier from (from `env:` or `plaintext`). */
  password?: string;
}

export type LoadSecretsResult =
  | { ok: true; secrets: Map<string, ActorSecret>; warnings: PolicyIssue[] }
  | { ok: false; issues: PolicyIssue[] };

export interface LoadSecretsOptions {
  file?: string;
  /** Environment for `env:VAR` references. */
  env: Readonly<Record<string, string | undefined>>;
  /** Actor names of the policy: a secret for anyone else is reported as a warning. */
  actors?: ReadonlySet<string> | ReadonlyMap<string, unknown>;
}

const BASE64 = '[A-Za-z0-9+/]+={0,2}';
const VERIFIER = new RegExp(`^SCRAM-SHA-256\\$(\\d+):(${BASE64})\\$(${BASE64}):(${BASE64})$`);
/** Base64 of a 32-byte SHA-256 key. */
const KEY_LENGTH = 44;
/** PostgreSQL's default iteration count; fewer is accepted with a warning. */
const MIN_ITERATIONS = 4096;

export function isScramVerifier(text: string): boolean {
  const m = VERIFIER.exec(text);
  return m !== null && Number(m[1]) > 0 && m[3]!.length === KEY_LENGTH && m[4]!.length === KEY_LENGTH;
}

export function loadSecrets(text: string, options: LoadSecretsOptions): LoadSecretsResult {
  const file = options.file ?? '<inline>';
  const source = new YamlSource(text, file);
  if (source.issues.length) return { ok: false, issues: source.issues.map((i) => ({ ...i, code: PolicyErrorCode.secrets })) };
  const issues: PolicyIssue[] = [];
  const warnings: PolicyIssue[] = [];
  const fail = (path: (string | number)[], message: string, hint?: string, key = false) =>
    issues.push(locatedIssue(PolicyErrorCode.secrets, file, key ? source.keyAt(path) : source.at(path), message, hint));
  const warn = (path: (string | number)[], message: string, hint?: string) =>
    warnings.push({ ...locatedIssue(PolicyErrorCode.secrets, file, source.at(path), message, hint), severity: 'warning' });

  const data = source.data;
  if (!isRecord(data) || !isRecord(data.actors)) {
    fail([], 'a secrets file holds an `actors:` mapping of actor name to secret', 'see docs/policy.md, "Secrets"');
    return { ok: false, issues };
  }
  for (const key of Object.keys(data)) if (key !== 'actors') fail([key], `unknown key \`${key}\``, 'a secrets file holds only `actors:`', true);

  const secrets = new Map<string, ActorSecret>();
  for (const [actor, value] of Object.entries(data.actors)) {
    const path = ['actors', actor];
    if (options.actors && !options.actors.has(actor)) warn(path, `the policy has no actor \`${actor}\``, 'remove the entry or add the actor to the policy');
    if (typeof value === 'string' && value.startsWith('env:')) {
      const variable = value.slice(4);
      const resolved = options.env[variable];
      if (resolved === undefined || resolved === '') {
        fail(path, `environment variable \`${variable}\` for actor \`${actor}\` is not set`, `export ${variable} with the actor's password or SCRAM verifier`);
        continue;
      }
      secrets.set(actor, resolved.startsWith('SCRAM-SHA-256$') ? verifierSecret(resolved, path, fail, warn) : { password: resolved });
    } else if (typeof value === 'string') {
      if (!value.startsWith('SCRAM-SHA-256$')) {
        fail(path, `the secret of \`${actor}\` is neither a SCRAM-SHA-256 verifier nor an \`env:\` reference`, 'write `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, `env:VARIABLE`, or `{ plaintext: … }` for local development');
        continue;
      }
      secrets.set(actor, verifierSecret(value, path, fail, warn));
    } else if (isRecord(value) && typeof value.plaintext === 'string' && Object.keys(value).length === 1) {
      warn(path, `plaintext password for \`${actor}\``, 'use plaintext only for local development; store a SCRAM verifier or an `env:` reference instead');
      secrets.set(actor, { password: value.plaintext });
    } else {
      fail(path, `the secret of \`${actor}\` has an unknown form`, 'write a SCRAM verifier, `env:VARIABLE`, or `{ plaintext: … }`');
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, secrets, warnings };
}

function verifierSecret(
  verifier: string,
  path: (string | number)[],
  fail: (path: (string | number)[], message: string, hint?: string) => void,
  warn: (path: (string | number)[], message: string, hint?: string) => void,
): ActorSecret {
  if (!isScramVerifier(verifier)) {
    fail(path, 'malformed SCRAM-SHA-256 verifier', 'expected `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` with base64 32-byte keys, as in pg_authid');
    return {};
  }
  const iterations = Number(VERIFIER.exec(verifier)![1]);
  if (iterations < MIN_ITERATIONS) warn(path, `the verifier uses only ${iterations} iterations`, `use at least ${MIN_ITERATIONS}`);
  return { verifier };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
