/**
 * Obligations the proxy carries out on results, as an agent sees them through the MCP server: a
 * masked column comes back masked, and a result past the policy's row cap comes back cut, with the
 * proxy's notice shown as Parapet's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { loadTokens, startMcpHttp, type McpHttpServer } from '../../src/mcp/index.js';
import { loginFromUrl } from '../../src/mcp/backend.js';
import { postgresReachable } from '../support/postgres.js';
import { MCP_POLICY, PASSWORDS, call, httpClient, startFixture, textOf, type McpFixture } from './support.js';

const CAP = 10;
const POLICY = `${MCP_POLICY}
  - rule: max-result-rows
    kinds: [agent]
    params: { rows: ${CAP}, onExceed: truncate }
`;

describe('masking and row caps through the MCP server', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES && 'PostgreSQL is unreachable' }, () => {
  let fx: McpFixture;
  let server: McpHttpServer;
  let client: Client;

  before(async () => {
    fx = await startFixture(POLICY);
    const token = randomBytes(24).toString('hex');
    const tokens = loadTokens(`tokens:\n  - { actor: bot, token: ${token}, password: ${PASSWORDS.bot} }\n`, 'tokens', {});
    assert.ok(tokens.ok);
    const { user: _user, password: _password, ...proxy } = loginFromUrl(fx.proxy.url('bot'), 'test');
    server = await startMcpHttp({ listen: { host: '127.0.0.1', port: 0 }, allowRemote: false, allowedOrigins: [], tokens: tokens.table, proxy, maxRows: 100, log: () => {} });
    client = await httpClient(server.url, token);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    await fx?.stop();
  });

  test('a masked column comes back masked', async () => {
    const result = await call(client, 'query', { sql: 'SELECT id, email FROM people WHERE id <= 3 ORDER BY id' });
    assert.notEqual(result.isError, true, textOf(result));
    const [set] = (result.structuredContent as { results: { rows: unknown[][] }[] }).results;
    assert.equal(set!.rows.length, 3);
    for (const [id, email] of set!.rows) assert.notEqual(email, `p${String(id)}@example.com`);
    assert.ok(!textOf(result).includes('@example.com'), 'no real address in the text either');
  });

  test('a result past the policy’s cap is cut, with Parapet’s notice', async () => {
    const result = await call(client, 'query', { sql: 'SELECT id FROM people WHERE id > 0 ORDER BY id' });
    assert.notEqual(result.isError, true, textOf(result));
    const content = result.structuredContent as { results: { rows: unknown[][] }[]; notices: { by: string; rules: string[] }[] };
    assert.equal(content.results[0]!.rows.length, CAP);
    assert.ok(content.notices.some((n) => n.by === 'parapet' && n.rules.includes('max-result-rows')), JSON.stringify(content.notices));
    assert.match(textOf(result), /parapet notice \(rules: [^)]*max-result-rows/);
  });
});
