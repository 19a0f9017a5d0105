/**
 * `parapet mcp --http`: the streamable HTTP transport in front of a proxy on the real PostgreSQL.
 * Requests without a valid bearer token, from a foreign browser origin, for a foreign Host, or for a
 * session opened with another actor's token are refused before MCP sees them; a valid token acts as
 * its own actor, and the proxy decides for that actor.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadTokens, startMcpHttp, McpSetupError, type McpHttpServer, type TokenTable } from '../../src/mcp/index.js';
import { loginFromUrl } from '../../src/mcp/backend.js';
import { postgresReachable } from '../support/postgres.js';
import { PASSWORDS, call, childEnv, httpClient, parapetCommand, refusal, startFixture, textOf, type McpFixture } from './support.js';

const TOKENS = { bot: randomBytes(24).toString('hex'), alice: randomBytes(24).toString('hex') };
/** A token whose entry carries a password the proxy does not accept: an operator's mistake. */
const STALE_TOKEN = randomBytes(24).toString('hex');

function tokensYaml(): string {
  return `tokens:\n${Object.entries(TOKENS)
    .map(([actor, token]) => `  - actor: ${actor}\n    token: ${token}\n    password: ${PASSWORDS[actor as keyof typeof PASSWORDS]}`)
    .join('\n')}\n  - { actor: bot, token: ${STALE_TOKEN}, password: not-the-password }\n`;
}

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

/** A raw POST to the endpoint with the given headers; resolves with the status. */
function post(url: string, headers: Record<string, string>, body = INITIALIZE): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('parapet mcp over HTTP', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES && 'PostgreSQL is unreachable' }, () => {
  let fx: McpFixture;
  let server: McpHttpServer;
  let tokens: TokenTable;

  before(async () => {
    fx = await startFixture();
    const loaded = loadTokens(tokensYaml(), 'tokens.yaml', {});
    assert.ok(loaded.ok);
    tokens = loaded.table;
    const { user: _user, password: _password, ...proxy } = loginFromUrl(fx.proxy.url('bot'), 'test');
    server = await startMcpHttp({ listen: { host: '127.0.0.1', port: 0 }, allowRemote: false, allowedOrigins: ['https://console.example'], tokens, proxy, maxRows: 100, log: () => {} });
  });
  after(async () => {
    await server?.close();
    await fx?.stop();
  });

  test('without a token, or with a wrong one, the answer is 401', async () => {
    assert.equal(await post(server.url, {}), 401);
    assert.equal(await post(server.url, { authorization: `Bearer ${randomBytes(24).toString('hex')}` }), 401);
    assert.equal(await post(server.url, { authorization: `Basic ${Buffer.from(`bot:${TOKENS.bot}`).toString('base64')}` }), 401);
    await assert.rejects(httpClient(server.url, 'not-a-token'));
  });

  test('a foreign Origin is refused with 403; the server’s own and listed origins are not', async () => {
    const auth = { authorization: `Bearer ${TOKENS.bot}` };
    assert.equal(await post(server.url, { ...auth, origin: 'https://evil.example' }), 403);
    assert.equal(await post(server.url, { ...auth, origin: 'null' }), 403);
    assert.equal(await post(server.url, { ...auth, origin: `http://127.0.0.1:${server.address.port}` }), 200);
    assert.equal(await post(server.url, { ...auth, origin: 'https://console.example' }), 200);
  });

  test('a Host header that is not loopback (DNS rebinding) is refused with 403', async () => {
    assert.equal(await post(server.url, { authorization: `Bearer ${TOKENS.bot}`, host: `attacker.example:${server.address.port}` }), 403);
  });

  test('only /mcp is served', async () => {
    assert.equal(await post(server.url.replace('/mcp', '/other'), { authorization: `Bearer ${TOKENS.bot}` }), 404);
  });

  test('a valid token acts as its actor: tools listed, reads allowed, a DROP denied with its rule', async () => {
    const client = await httpClient(server.url, TOKENS.bot);
    try {
      const { tools } = await client.listTools();
      assert.equal(tools.length, 5);
      const read = await call(client, 'query', { sql: 'SELECT name FROM people WHERE id = 2' });
      assert.notEqual(read.isError, true, textOf(read));
      const dropped = await call(client, 'query', { sql: 'DROP TABLE people' });
      assert.equal(dropped.isError, true);
      assert.ok(refusal(dropped)!.rules.includes('no-drop'));
      const written = await call(client, 'query', { sql: 'UPDATE people SET name = $1 WHERE id = 1', params: ['changed'] });
      assert.equal(written.isError, true, 'the agent token may not write');
      assert.ok(refusal(written)!.rules.includes('read-only'));
    } finally {
      await client.close();
    }
  });

  test('the person’s token acts as the person: the proxy lets alice write', async () => {
    const client = await httpClient(server.url, TOKENS.alice);
    try {
      const written = await call(client, 'query', { sql: 'UPDATE people SET name = $1 WHERE id = 1', params: ['renamed by alice'], reason: 'fix a typo' });
      assert.notEqual(written.isError, true, textOf(written));
      const [set] = (written.structuredContent as { results: { command: string; rowCount: number }[] }).results;
      assert.deepEqual([set!.command, set!.rowCount], ['UPDATE', 1]);
      const records = await fx.proxy.auditRecords({ kind: 'decision', order: 'desc', limit: 1 });
      assert.equal(records[0]?.kind === 'decision' && records[0].actor.name, 'alice');
    } finally {
      await client.close();
    }
  });

  test('a token whose password the proxy refuses gets a tool error for the operator, not a protocol error', async () => {
    const client = await httpClient(server.url, STALE_TOKEN);
    try {
      const result = await call(client, 'query', { sql: 'SELECT 1' });
      assert.equal(result.isError, true);
      const error = refusal(result) as { sqlstate: string; atConnect?: boolean };
      assert.equal(error.sqlstate, '28P01');
      assert.equal(error.atConnect, true);
      assert.match(textOf(result), /could not open a session on the Parapet proxy/);
    } finally {
      await client.close();
    }
  });

  test('a session opened with one token cannot be used with another actor’s token', async () => {
    const client = await httpClient(server.url, TOKENS.bot);
    try {
      const sessionId = (client.transport as { sessionId?: string }).sessionId;
      assert.ok(sessionId);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} });
      const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
      assert.equal(await post(server.url, { ...headers, authorization: `Bearer ${TOKENS.alice}` }, body), 403);
      assert.equal(await post(server.url, { ...headers, authorization: `Bearer ${TOKENS.bot}` }, body), 200);
    } finally {
      await client.close();
    }
  });

  test('a non-loopback address needs --allow-remote', async () => {
    await assert.rejects(
      startMcpHttp({ listen: { host: '0.0.0.0', port: 0 }, allowRemote: false, allowedOrigins: [], tokens, proxy: { host: '127.0.0.1', port: 1, database: 'x' }, maxRows: 1, log: () => {} }),
      (error: unknown) => error instanceof McpSetupError && error.code === 'MCP_LISTEN',
    );
  });

  test('the command line serves HTTP with a tokens file', async () => {
    const file = join(fx.dir, 'tokens.yaml');
    writeFileSync(file, tokensYaml(), { mode: 0o600 });
    const { command, args } = parapetCommand();
    const child = spawn(command, [...args, 'mcp', '--http', '127.0.0.1:0', '--tokens', file], {
      env: childEnv({ PARAPET_URL: `postgres://127.0.0.1:${fx.proxy.port}/${fx.db.database}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('mcp ready')) resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`parapet mcp exited with ${code}`)));
      });
      const url = /(http:\/\/\S+\/mcp)/.exec(ready)![1]!;
      const client = await httpClient(url, TOKENS.bot);
      const result = await call(client, 'query', { sql: 'SELECT 1 AS one' });
      assert.notEqual(result.isError, true, textOf(result));
      await client.close();
      assert.equal(await post(url, {}), 401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
