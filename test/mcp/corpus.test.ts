/**
 * The decision corpus (test/decisions) replayed through the MCP server, over HTTP with one bearer
 * token per actor: every case's SQL goes through `query` (which the proxy decides) and through
 * `check` (decided in the MCP process with the proxy's policy), and both must give the core's
 * decision and rules — zero differences. As in test/proxy/corpus.test.ts, a case without an actor
 * logs in as an actor of the anonymous kind, cases with an injected clock or impact figure are
 * skipped, and so are allows whose obligations the proxy cannot enforce yet.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parse, stringify } from 'yaml';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { loadTokens, startMcpHttp, type McpHttpServer } from '../../src/mcp/index.js';
import { loginFromUrl } from '../../src/mcp/backend.js';
import { rulesFromPolicyFile } from '../../src/mcp/policy-source.js';
import { needPostgres } from '../support/postgres.js';
import { describeDifferences, loadDecisionCorpus, runCorpus, type CorpusCase, type CorpusOutcome } from '../support/decision-corpus.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';
import { call, httpClient, refusal, textOf } from './support.js';

const PASSWORD = 'corpus-pw';
const ANONYMOUS = 'anonymous';

interface Door {
  proxy: ProxyHarness;
  mcp: McpHttpServer;
  tokens: Map<string, string>;
  clients: Map<string, Client>;
}

let db: TestUpstream | undefined;
const dir = mkdtempSync(join(tmpdir(), 'parapet-mcp-corpus-'));
const doors = new Map<string, Door>();
after(async () => {
  for (const door of doors.values()) {
    for (const client of door.clients.values()) await client.close();
    await door.mcp.close();
    await door.proxy.stop();
  }
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A proxy for the case's policy, and an MCP server in front of it that has the same policy. */
async function doorFor(c: CorpusCase): Promise<Door> {
  let door = doors.get(c.policy.text);
  if (door) return door;
  const loaded = loadPolicy(c.policy.text, { file: c.policy.name });
  if (!loaded.ok) throw new Error(`${c.id}: the policy does not load`);
  const document = parse(c.policy.text) as { actors?: Record<string, unknown> };
  document.actors = { ...document.actors, [ANONYMOUS]: { kind: loaded.policy.anonymous.kind } };
  const policyYaml = stringify(document);
  const actors = Object.keys(document.actors);
  const proxy = await startProxy({ upstreamUrl: db!.url, policyYaml, secrets: Object.fromEntries(actors.map((a) => [a, PASSWORD])) });
  const policyFile = join(dir, `policy-${doors.size}.yaml`);
  writeFileSync(policyFile, policyYaml);
  const tokens = new Map(actors.map((a) => [a, randomBytes(24).toString('hex')]));
  const table = loadTokens(`tokens:\n${[...tokens].map(([actor, token]) => `  - { actor: ${JSON.stringify(actor)}, token: ${token}, password: ${PASSWORD} }`).join('\n')}\n`, 'tokens', {});
  if (!table.ok) throw new Error('tokens do not load');
  const { user: _user, password: _password, ...where } = loginFromUrl(proxy.url(ANONYMOUS), 'corpus');
  const mcp = await startMcpHttp({
    listen: { host: '127.0.0.1', port: 0 },
    allowRemote: false,
    allowedOrigins: [],
    tokens: table.table,
    proxy: where,
    maxRows: 10,
    rules: rulesFromPolicyFile(policyFile),
    log: () => {},
  });
  door = { proxy, mcp, tokens, clients: new Map() };
  doors.set(c.policy.text, door);
  return door;
}

async function clientFor(c: CorpusCase): Promise<{ door: Door; client: Client }> {
  const door = await doorFor(c);
  const actor = c.actor ?? ANONYMOUS;
  let client = door.clients.get(actor);
  if (!client) door.clients.set(actor, (client = await httpClient(door.mcp.url, door.tokens.get(actor)!)));
  return { door, client };
}

const replayable = (c: CorpusCase) => c.now === undefined && c.impact === undefined;

/** `query`: the proxy's decision, read from the tool result (and, for an allow, from the audit trail). */
async function throughQuery(c: CorpusCase): Promise<CorpusOutcome | undefined> {
  if (!replayable(c)) return undefined;
  const { door, client } = await clientFor(c);
  const [last] = await door.proxy.auditRecords({ order: 'desc', limit: 1 });
  const result = await call(client, 'query', { sql: c.sql });
  const error = refusal(result);
  if (result.isError && !error) throw new Error(`${c.id}: ${textOf(result)}`);
  if (error?.by === 'parapet') {
    if (error.rules.includes('unenforceable-obligation')) return undefined;
    return { action: error.decision ?? 'deny', rules: error.rules };
  }
  // Allowed (the statement ran, or the database itself refused it): the rules are in the audit trail.
  const records = await door.proxy.auditRecords({ kind: 'decision', after: last?.seq ?? 0, order: 'asc' });
  return { action: 'allow', rules: [...new Set(records.flatMap((r) => (r.kind === 'decision' ? r.rules : [])))] };
}

/** `check`: decided in the MCP process, without running. */
async function throughCheck(c: CorpusCase): Promise<CorpusOutcome | undefined> {
  if (!replayable(c)) return undefined;
  const { client } = await clientFor(c);
  const result = await call(client, 'check', { sql: c.sql });
  if (result.isError) throw new Error(`${c.id}: ${textOf(result)}`);
  const decision = result.structuredContent as { decision: 'allow' | 'deny' | 'review'; rules: string[] };
  if (decision.rules.includes('unenforceable-obligation')) return undefined;
  return { action: decision.decision, rules: decision.rules };
}

test('the decision corpus through the MCP server’s query and check matches the core', async (t) => {
  if (!(await needPostgres(t))) return;
  db = await createUpstream('parapet_mcp_corpus');
  const cases = loadDecisionCorpus();
  for (const [name, door] of [
    ['query', throughQuery],
    ['check', throughCheck],
  ] as const) {
    let replayed = 0;
    const differences = await runCorpus(async (c) => {
      const outcome = await door(c);
      if (outcome) replayed++;
      return outcome;
    }, cases);
    t.diagnostic(`${name}: replayed ${replayed} of ${cases.length} cases`);
    assert.ok(replayed > cases.length / 2, `${name}: only ${replayed} of ${cases.length} cases could be replayed`);
    assert.equal(differences.length, 0, `${name}:\n${describeDifferences(differences)}`);
  }
});
