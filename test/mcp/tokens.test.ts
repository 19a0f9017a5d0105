/**
 * The HTTP transport's pure checks: the tokens file (formats, located errors), token lookup, the
 * loopback, Host and Origin checks, and reading the proxy URL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { generatedToken, loadTokens } from '../../src/mcp/tokens.js';
import { bearerToken, hostAllowed, isLoopback, normaliseOrigin, originAllowed, ownOrigins } from '../../src/mcp/http-checks.js';
import { loginFromUrl } from '../../src/mcp/backend.js';
import { McpSetupError } from '../../src/mcp/errors.js';
import { pgSsl } from '../../src/mcp/proxy-client.js';

const token = () => randomBytes(24).toString('hex');

describe('tokens file', () => {
  test('a token given as itself, from the environment, or as its SHA-256 maps to its actor and password', () => {
    const [plain, fromEnv, hashed] = [token(), token(), token()];
    const digest = createHash('sha256').update(hashed).digest('hex');
    const text = `tokens:
  - actor: agent
    token: ${plain}
    password: env:AGENT_PW
  - actor: ci
    token: env:CI_TOKEN
    password: ci-pw
  - actor: alice
    token: sha256:${digest}
`;
    const loaded = loadTokens(text, 'tokens.yaml', { AGENT_PW: 'agent-pw', CI_TOKEN: fromEnv });
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    assert.equal(loaded.table.size, 3);
    assert.deepEqual(loaded.table.lookup(plain), { actor: 'agent', password: 'agent-pw' });
    assert.deepEqual(loaded.table.lookup(fromEnv), { actor: 'ci', password: 'ci-pw' });
    assert.deepEqual(loaded.table.lookup(hashed), { actor: 'alice' });
    assert.equal(loaded.table.lookup(plain.slice(0, -1)), undefined);
    assert.equal(loaded.table.lookup(''), undefined);
    assert.equal(loaded.table.lookup(`sha256:${digest}`), undefined, 'the digest itself is not the token');
  });

  test('problems are reported with their place and a stable code', () => {
    const text = `tokens:
  - actor: agent
    token: short
  - actor: ci
    token: env:MISSING_TOKEN
  - actor: bob
    token: ${'a'.repeat(40)}
    pasword: x
  - token: ${'b'.repeat(40)}
`;
    const loaded = loadTokens(text, 'tokens.yaml', {});
    assert.ok(!loaded.ok);
    const found = loaded.issues.map((i) => [i.line, i.code]);
    assert.deepEqual(found, [
      [3, 'config.invalid-value'],
      [5, 'config.missing-env'],
      [8, 'config.unknown-key'],
      [9, 'config.missing-key'],
    ]);
    assert.ok(loaded.issues.every((i) => i.file === 'tokens.yaml'));
  });

  test('one token for two entries, and a file without tokens, are errors', () => {
    const t = token();
    const twice = loadTokens(`tokens:\n  - { actor: a, token: ${t} }\n  - { actor: b, token: ${t} }\n`, 'f', {});
    assert.ok(!twice.ok && twice.issues[0]!.line === 3);
    assert.ok(!loadTokens('tokens: []\n', 'f', {}).ok);
    assert.ok(!loadTokens('', 'f', {}).ok);
    assert.ok(!loadTokens('tokens: [\n', 'f', {}).ok);
  });

  test('a generated token is long, random and maps only to its actor', () => {
    const a = generatedToken({ actor: 'agent', password: 'pw' });
    const b = generatedToken({ actor: 'agent', password: 'pw' });
    assert.notEqual(a.token, b.token);
    assert.ok(a.token.length >= 32);
    assert.deepEqual(a.table.lookup(a.token), { actor: 'agent', password: 'pw' });
    assert.equal(a.table.lookup(b.token), undefined);
  });
});

describe('HTTP checks', () => {
  test('loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(host), host);
  });

  test('the Host header must name a loopback host and the port', () => {
    const address = { host: '127.0.0.1', port: 7432 };
    for (const host of ['127.0.0.1:7432', 'localhost:7432', '[::1]:7432', 'LOCALHOST:7432']) assert.ok(hostAllowed(host, address), host);
    for (const host of [undefined, 'evil.example:7432', '127.0.0.1:80', 'localhost', '127.0.0.1:7432@evil']) assert.ok(!hostAllowed(host, address), String(host));
    assert.ok(hostAllowed('anything.example', { host: '0.0.0.0', port: 7432 }), 'remote mode relies on the token');
  });

  test('an absent Origin passes; a listed or own origin passes; others and `null` do not', () => {
    const allowed = [...ownOrigins({ host: '127.0.0.1', port: 7432 }), 'https://console.example'];
    assert.ok(originAllowed(undefined, allowed));
    assert.ok(originAllowed('http://localhost:7432', allowed));
    assert.ok(originAllowed('https://console.example', allowed));
    for (const origin of ['https://evil.example', 'null', 'http://localhost:7433', 'https://console.example.evil.example', 'not a url']) assert.ok(!originAllowed(origin, allowed), origin);
    assert.equal(normaliseOrigin('https://console.example:8443/path'), 'https://console.example:8443');
    assert.equal(normaliseOrigin('console.example'), undefined);
  });

  test('bearer tokens', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer   abc  '), 'abc');
    for (const header of [undefined, '', 'Bearer', 'Basic abc', 'Bearer a b']) assert.equal(bearerToken(header), undefined, String(header));
  });
});

describe('proxy URL', () => {
  test('the actor and password come from the URL; a URL without a user names only the proxy', () => {
    const prefer = { tls: { sslmode: 'prefer' } };
    assert.deepEqual(loginFromUrl('postgres://agent:s%40cret@127.0.0.1:6543/shop', 'x'), { host: '127.0.0.1', port: 6543, database: 'shop', user: 'agent', password: 's@cret', ...prefer });
    assert.deepEqual(loginFromUrl('postgres://127.0.0.1:6543/shop?sslmode=disable', 'x'), { host: '127.0.0.1', port: 6543, database: 'shop', user: '' });
    assert.deepEqual(loginFromUrl('postgresql://localhost', 'x'), { host: 'localhost', port: 5432, database: 'postgres', user: '', ...prefer });
  });

  test('what the URL cannot mean is a setup error naming where it came from', () => {
    assert.throws(
      () => loginFromUrl('postgres://agent@127.0.0.1:6543/shop?sslmode=sometimes', '$PARAPET_URL'),
      (error: unknown) => error instanceof McpSetupError && error.code === 'MCP_PROXY_URL' && error.message.startsWith('$PARAPET_URL: '),
    );
    assert.throws(() => loginFromUrl('postgres://agent@127.0.0.1/shop?fallback=1', 'x'), McpSetupError);
    assert.throws(() => loginFromUrl('mysql://x', 'x'), McpSetupError);
  });

  test('sslmode require and stronger use TLS; the weaker modes connect without it', () => {
    assert.equal(pgSsl(undefined), false);
    assert.equal(pgSsl({ sslmode: 'prefer' }), false);
    const required = pgSsl({ sslmode: 'require' });
    assert.ok(required && required.rejectUnauthorized === false && required.checkServerIdentity);
    const full = pgSsl({ sslmode: 'verify-full', sslrootcert: 'system' });
    assert.ok(full && full.rejectUnauthorized === true && full.checkServerIdentity === undefined && full.ca === undefined);
    assert.throws(() => pgSsl({ sslmode: 'verify-ca', sslrootcert: '/no/such/ca.pem' }), /ENOENT/);
  });
});
