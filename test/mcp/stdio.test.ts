/**
 * `parapet mcp` over stdio against a proxy in front of the real PostgreSQL: the SDK's client spawns
 * the command line with the agent's URL (PARAPET_URL) and the proxy's policy (--policy), and
 * drives every tool. What the agent sees is checked, and what happened is checked on the database
 * and in the proxy's audit trail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { adminQuery, postgresReachable } from '../support/postgres.js';
import { CLIENT_NAME, INJECTION, PASSWORDS, call, refusal, startFixture, stdioClient, textOf, untrustedFrames, type McpFixture } from './support.js';

const CONNECTION_WORDS = /^(host|port|user|password|database|url|dsn|role|actor|policy|upstream|connection)/i;

describe('parapet mcp over stdio', { skip: !(await postgresReachable()) && !process.env.PARAPET_REQUIRE_POSTGRES && 'PostgreSQL is unreachable' }, () => {
  let fx: McpFixture;
  let client: Client;
  let stderr: () => string;

  before(async () => {
    fx = await startFixture();
    ({ client, stderr } = await stdioClient(['--policy', fx.policyFile, '--max-rows', '100'], { PARAPET_URL: fx.proxy.url('bot', PASSWORDS.bot) }));
  });
  after(async () => {
    await client?.close();
    await fx?.stop();
  });

  const peopleCount = async () => Number((await adminQuery<{ n: string }>('select count(*) as n from people', [], fx.db.database))[0]!.n);

  test('lists the five tools, none of which takes connection parameters', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['check', 'describe_table', 'explain', 'list_tables', 'query']);
    for (const tool of tools) {
      const properties = Object.keys(tool.inputSchema.properties ?? {});
      assert.deepEqual(properties.filter((p) => CONNECTION_WORDS.test(p)), [], `${tool.name} takes ${properties.join(', ')}`);
      assert.equal((tool.inputSchema as { additionalProperties?: unknown }).additionalProperties, false, `${tool.name} must refuse unknown arguments`);
      assert.ok(tool.outputSchema, `${tool.name} declares its structured output`);
    }
  });

  test('an allowed query returns columns and rows, framed as untrusted data', async () => {
    const result = await call(client, 'query', { sql: 'SELECT id, name FROM people WHERE id <= $1 ORDER BY id', params: [2] });
    assert.notEqual(result.isError, true, textOf(result));
    const [set] = (result.structuredContent as { results: { columns: { name: string; type: string }[]; rows: unknown[][]; rowCount: number }[] }).results;
    assert.deepEqual(set!.columns, [{ name: 'id', type: 'integer' }, { name: 'name', type: 'text' }]);
    assert.deepEqual(set!.rows, [[1, 'person 1'], [2, 'person 2']]);
    const frames = untrustedFrames(textOf(result));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.body.includes('"person 2"'));
  });

  test('a DROP is denied as a tool error with the rule and a hint, and nothing is dropped', async () => {
    const result = await call(client, 'query', { sql: 'DROP TABLE people' });
    assert.equal(result.isError, true);
    const error = refusal(result)!;
    assert.equal(error.by, 'parapet');
    assert.equal(error.decision, 'deny');
    assert.ok(error.rules.includes('no-drop'), error.rules.join());
    assert.equal(error.sqlstate, '42501');
    assert.ok(error.hint && error.hint.length > 0);
    assert.match(textOf(result), /no-drop/);
    assert.equal(await peopleCount(), 250);
  });

  test('a stacked `COMMIT; DELETE …` is denied and deletes nothing', async () => {
    const result = await call(client, 'query', { sql: 'COMMIT; DELETE FROM people WHERE id = 1' });
    assert.equal(result.isError, true);
    assert.ok(refusal(result)!.rules.includes('no-transaction-escape'), refusal(result)!.rules.join());
    assert.equal(await peopleCount(), 250);
  });

  test('a parse error carries the position of the error', async () => {
    const sql = 'SELECT id FROM people;\nSELEC name FROM people';
    const result = await call(client, 'query', { sql });
    assert.equal(result.isError, true);
    const error = refusal(result)!;
    assert.deepEqual(error.rules, ['analysis-error']);
    assert.equal(error.sqlstate, '42601');
    assert.equal(error.position, Array.from(sql).indexOf('S', 22) + 1);
    assert.match(textOf(result), /at character \d+:\n {2}SELEC name FROM people\n {2}\^/);
  });

  test('stored text that poses as instructions stays inside a frame with a fresh nonce', async () => {
    const first = await call(client, 'query', { sql: 'SELECT body FROM notes ORDER BY id' });
    const second = await call(client, 'query', { sql: 'SELECT body FROM notes ORDER BY id' });
    const [a] = untrustedFrames(textOf(first));
    const [b] = untrustedFrames(textOf(second));
    assert.ok(a && b);
    assert.ok(a.body.includes(JSON.stringify(INJECTION)), 'the injected text is inside the frame');
    assert.notEqual(a.nonce, b.nonce);
    assert.ok(!INJECTION.includes(a.nonce));
    const text = textOf(first);
    assert.match(text.slice(0, text.indexOf(`<untrusted-data-${a.nonce}>\n`)), /do not follow any instruction/);
  });

  test('the reason and the client name land in the audit trail', async () => {
    const reason = "checking ticket #42's customer — it's */ urgent";
    const [last] = await fx.proxy.auditRecords({ order: 'desc', limit: 1 });
    const result = await call(client, 'query', { sql: 'SELECT name FROM people WHERE id = 42', reason });
    assert.notEqual(result.isError, true, textOf(result));
    const records = await fx.proxy.auditRecords({ kind: 'decision', after: last?.seq ?? 0, order: 'asc' });
    const record = records.find((r) => r.kind === 'decision' && r.tags.reason !== undefined);
    assert.ok(record && record.kind === 'decision', 'a decision record for the query');
    assert.equal(record.tags.reason, reason);
    assert.equal(record.applicationName, `parapet-mcp/${CLIENT_NAME}`);
    assert.equal(record.actor.name, 'bot');
  });

  test('an argument outside the schema is refused and nothing runs', async () => {
    const [last] = await fx.proxy.auditRecords({ order: 'desc', limit: 1 });
    const result = await call(client, 'query', { sql: 'SELECT 1', user: 'alice' });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /user/);
    assert.deepEqual(await fx.proxy.auditRecords({ kind: 'decision', after: last?.seq ?? 0 }), []);
  });

  test('a role switch is decided by the proxy like any statement', async () => {
    const result = await call(client, 'query', { sql: 'SET ROLE alice' });
    assert.equal(result.isError, true);
    assert.ok(refusal(result)!.rules.includes('no-role-switch'), refusal(result)!.rules.join());
  });

  test('a result larger than --max-rows is cut, and says so', async () => {
    const result = await call(client, 'query', { sql: 'SELECT id, name FROM people ORDER BY id' });
    assert.notEqual(result.isError, true, textOf(result));
    const [set] = (result.structuredContent as { results: { rows: unknown[][]; truncated?: { shown: number; received: number } }[] }).results;
    assert.equal(set!.rows.length, 100);
    assert.deepEqual(set!.truncated, { shown: 100, received: 250, by: 'mcp-row-cap' });
    assert.match(textOf(result), /only the first 100 of 250 rows are shown/);
  });

  test('explain shows a plan and never runs the statement', async () => {
    const plan = await call(client, 'explain', { sql: 'SELECT name FROM people WHERE id = $1', params: [7] });
    assert.notEqual(plan.isError, true, textOf(plan));
    const tree = (plan.structuredContent as { plan: { Plan: { 'Relation Name'?: string } }[] }).plan;
    assert.equal(tree[0]!.Plan['Relation Name'], 'people');

    for (const sql of ['ANALYZE SELECT 1', 'SELECT 1; EXPLAIN ANALYZE SELECT 2']) {
      const refused = await call(client, 'explain', { sql });
      assert.equal(refused.isError, true, `${sql}: ${textOf(refused)}`);
    }
  });

  test('list_tables and describe_table show the catalog with the policy’s tags and masks', async () => {
    const list = await call(client, 'list_tables', {});
    assert.notEqual(list.isError, true, textOf(list));
    const tables = (list.structuredContent as { tables: { schema: string; name: string }[] }).tables.map((t) => `${t.schema}.${t.name}`);
    assert.deepEqual(tables, ['public.notes', 'public.people']);

    const described = await call(client, 'describe_table', { table: 'people' });
    assert.notEqual(described.isError, true, textOf(described));
    const info = described.structuredContent as { tagsKnown: boolean; columns: { name: string; type: string; primaryKey: boolean; tags: string[]; masked: boolean }[] };
    assert.equal(info.tagsKnown, true);
    const email = info.columns.find((c) => c.name === 'email')!;
    assert.deepEqual(email.tags, ['pii']);
    assert.equal(email.masked, true);
    assert.equal(info.columns.find((c) => c.name === 'id')!.primaryKey, true);
    assert.equal(info.columns.find((c) => c.name === 'name')!.masked, false);
    assert.match(textOf(described), /masked for you .*: email/);

    const missing = await call(client, 'describe_table', { table: 'no_such_table' });
    assert.equal(missing.isError, true);
  });

  test('check tells the decision without running anything', async () => {
    const [last] = await fx.proxy.auditRecords({ order: 'desc', limit: 1 });
    const denied = await call(client, 'check', { sql: 'DELETE FROM people' });
    assert.notEqual(denied.isError, true, textOf(denied));
    const d = denied.structuredContent as { decision: string; rules: string[]; hint?: string };
    assert.equal(d.decision, 'deny');
    assert.ok(d.rules.includes('require-where'), d.rules.join());
    assert.ok(d.hint);

    const allowed = await call(client, 'check', { sql: 'SELECT name FROM people WHERE id = 1' });
    const a = allowed.structuredContent as { decision: string; rules: string[]; obligations: { readOnly?: boolean } };
    assert.equal(a.decision, 'allow');
    assert.ok(a.rules.includes('agents-read'));
    assert.equal(a.obligations.readOnly, true);

    const unparsable = await call(client, 'check', { sql: 'SELEC 1' });
    assert.equal((unparsable.structuredContent as { position?: number }).position, 1);

    assert.deepEqual(await fx.proxy.auditRecords({ kind: 'decision', after: last?.seq ?? 0 }), [], 'check sends nothing to the proxy');
    assert.equal(await peopleCount(), 250);
  });

  test('logs go to stderr, never into the protocol stream', () => {
    assert.match(stderr(), /serving over stdio as `bot`/);
  });
});
