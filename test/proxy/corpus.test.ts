/**
 * The decision corpus (test/decisions) replayed through the proxy: each case's SQL is sent by a
 * real client logged in as the case's actor, and the proxy's answer must be the core's decision and
 * rules. A case without an actor is decided by the core for the policy's anonymous actor; through the
 * proxy it logs in as an actor of that kind with no groups (added to the policy as `anonymous`), which
 * the rules cannot tell apart. Skipped and counted: an injected clock or impact figure, and allows
 * whose obligations the proxy cannot enforce yet (it refuses those with `unenforceable-obligation`,
 * as every door must).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { needPostgres } from '../support/postgres.js';
import { describeDifferences, loadDecisionCorpus, runCorpus, type CorpusCase, type CorpusOutcome } from '../support/decision-corpus.js';
import { createUpstream, startProxy, type ProxyHarness, type TestUpstream } from '../support/proxy-harness.js';

const PASSWORD = 'corpus-pw';
const ANONYMOUS = 'anonymous';
const DETAIL = /^parapet rules: (.*?)( \(held for review\))?$/;

let db: TestUpstream | undefined;
const proxies = new Map<string, ProxyHarness>();
after(async () => {
  for (const proxy of proxies.values()) await proxy.stop();
  await db?.drop();
});

async function proxyFor(c: CorpusCase): Promise<ProxyHarness> {
  let proxy = proxies.get(c.policy.text);
  if (!proxy) {
    const loaded = loadPolicy(c.policy.text, { file: c.policy.name });
    if (!loaded.ok) throw new Error(`${c.id}: the policy does not load`);
    const document = parse(c.policy.text) as { actors?: Record<string, unknown> };
    document.actors = { ...document.actors, [ANONYMOUS]: { kind: loaded.policy.anonymous.kind } };
    const actors = Object.keys(document.actors);
    proxy = await startProxy({ upstreamUrl: db!.url, policyYaml: stringify(document), secrets: Object.fromEntries(actors.map((a) => [a, PASSWORD])) });
    proxies.set(c.policy.text, proxy);
  }
  return proxy;
}

/** The proxy's decision, read from what the client sees. */
async function throughProxy(c: CorpusCase): Promise<CorpusOutcome | undefined> {
  if (c.now !== undefined || c.impact !== undefined) return undefined;
  const proxy = await proxyFor(c);
  const client = new pg.Client(proxy.url(c.actor ?? ANONYMOUS, PASSWORD));
  await client.connect();
  let last: { seq: number } | undefined;
  try {
    if (c.session?.transaction === 'in-transaction' || c.session?.transaction === 'failed') await client.query('BEGIN');
    if (c.session?.transaction === 'failed') await client.query('SELECT 1/0').catch(() => {});
    [last] = await proxy.auditRecords({ order: 'desc', limit: 1 });
    await client.query(c.sql);
    return { action: 'allow', rules: await allowRules(proxy, last?.seq ?? 0) };
  } catch (error) {
    const match = DETAIL.exec((error as pg.DatabaseError).detail ?? '');
    if (!match) return { action: 'allow', rules: await allowRules(proxy, last?.seq ?? 0) }; // the server's own error: parapet let it through
    const rules = match[1]!.split(', ');
    if (rules.includes('unenforceable-obligation')) return undefined;
    return { action: match[2] ? 'review' : 'deny', rules };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The rules of an allowed message: the union over its statements' decision records, from the audit trail. */
async function allowRules(proxy: ProxyHarness, after: number): Promise<string[]> {
  const records = await proxy.auditRecords({ kind: 'decision', after, order: 'asc' });
  return [...new Set(records.flatMap((r) => (r.kind === 'decision' ? r.rules : [])))];
}

test('the decision corpus through the proxy matches the core', async (t) => {
  if (!(await needPostgres(t))) return;
  db = await createUpstream('parapet_corpus');
  const cases = loadDecisionCorpus();
  let replayed = 0;
  const differences = await runCorpus(async (c) => {
    const outcome = await throughProxy(c);
    if (outcome) replayed++;
    return outcome;
  }, cases);
  t.diagnostic(`replayed ${replayed} of ${cases.length} cases through the proxy`);
  assert.ok(replayed > cases.length / 2, `only ${replayed} of ${cases.length} cases could be replayed`);
  assert.equal(differences.length, 0, describeDifferences(differences));
});
