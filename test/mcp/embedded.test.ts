/**
 * `parapet mcp` with nothing configured: it starts the embedded default in its own process (the
 * sample database behind an in-process proxy on a loopback port) and logs in as the sample agent.
 * A second instance on the same data directory stops with the embedded module's lock error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { CLIENT_NAME, call, childEnv, parapetCommand, refusal, stdioClient, textOf, untrustedFrames } from './support.js';

describe('parapet mcp with the embedded default', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'parapet-mcp-embedded-'));
  let client: Client;
  let stderr: () => string;

  before(async () => {
    ({ client, stderr } = await stdioClient([], {}, cwd));
  });
  after(async () => {
    await client?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('it serves the sample database as the sample agent', async () => {
    const result = await call(client, 'query', { sql: 'SELECT id, status FROM orders ORDER BY id LIMIT 3' });
    assert.notEqual(result.isError, true, textOf(result));
    const [set] = (result.structuredContent as { results: { columns: { name: string }[]; rows: unknown[][] }[] }).results;
    assert.deepEqual(set!.columns.map((c) => c.name), ['id', 'status']);
    assert.deepEqual(set!.rows.map((r) => r[0]), [1, 2, 3]);
    assert.match(stderr(), /serving over stdio as `agent`/);
  });

  test('what the injected ticket asks for is denied with its rule', async () => {
    const ticket = await call(client, 'query', { sql: 'SELECT subject, body FROM support_tickets WHERE id = 17 LIMIT 1' });
    assert.notEqual(ticket.isError, true, textOf(ticket));
    const [frame] = untrustedFrames(textOf(ticket));
    assert.match(frame!.body, /ignore previous instructions/i);

    const dropped = await call(client, 'query', { sql: 'DROP TABLE customers' });
    assert.equal(dropped.isError, true);
    assert.ok(refusal(dropped)!.rules.includes('no-drop'), refusal(dropped)!.rules.join());
  });

  test('check decides in-process as the proxy does', async () => {
    const result = await call(client, 'check', { sql: 'DELETE FROM orders' });
    const decision = result.structuredContent as { decision: string; rules: string[] };
    assert.equal(decision.decision, 'deny');
    assert.ok(decision.rules.length > 0);

    // A read of a masked column: the embedded proxy masks it, and check says so.
    const sql = 'SELECT email FROM customers WHERE id = 1';
    const checked = (await call(client, 'check', { sql })).structuredContent as { decision: string; rules: string[]; obligations: { mask?: unknown[] } };
    const ran = await call(client, 'query', { sql });
    assert.notEqual(ran.isError, true, textOf(ran));
    assert.equal(checked.decision, 'allow');
    assert.ok(checked.obligations.mask?.length);
    const [set] = (ran.structuredContent as { results: { rows: unknown[][] }[] }).results;
    assert.deepEqual(set!.rows, [['****']]);
  });

  test('describe_table shows the sample’s masked columns', async () => {
    const result = await call(client, 'describe_table', { table: 'customers' });
    assert.notEqual(result.isError, true, textOf(result));
    const columns = (result.structuredContent as { columns: { name: string; masked?: boolean }[] }).columns;
    assert.deepEqual(columns.filter((c) => c.masked).map((c) => c.name).sort(), ['email', 'phone', 'ssn']);
  });

  test('a second instance on the same data directory stops with the lock error', async () => {
    const { command, args } = parapetCommand();
    const second = spawn(command, [...args, 'mcp'], { cwd, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /is in use by process \d+ \(EMBEDDED_LOCKED\)/);
    assert.match(err, /hint: .*PARAPET_URL=/);
  });

  test('the calls are in the audit trail under the MCP client’s name', async () => {
    const store = SqliteAuditStore.openReadOnly(join(cwd, '.parapet', 'audit.db'));
    try {
      const records = await store.search({ kind: 'decision' });
      assert.ok(records.length > 0);
      assert.ok(records.every((r) => r.kind === 'decision' && r.actor.name === 'agent' && r.applicationName === `parapet-mcp/${CLIENT_NAME}`));
    } finally {
      await store.close();
    }
  });
});
