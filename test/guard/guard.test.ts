/**
 * The guard pipeline: analysis (or a reused one), catalog facts, impact only when a rule asks,
 * per-statement decisions and the whole-text decision — and failing closed when a port fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuard, staticCatalog, type CatalogPort, type ImpactPort } from '../../src/guard/index.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { EngineRule, type Policy } from '../../src/policy/policy.js';
import type { StatementAnalysis } from '../../src/sql/types.js';
import { dropUsers, statement, testRules } from '../policy/fixtures.js';

function policy(text: string): Policy {
  const result = loadPolicy(text, { rules: testRules });
  if (!result.ok) assert.fail(JSON.stringify(result.issues));
  return result.policy;
}

const base = policy(`
defaults: { agent: allow }
actors:
  alice: { kind: human, groups: [dba], databases: [app, reports] }
  bot: { kind: agent }
resources:
  tags:
    public.customers.email: [pii]
    public.customers: [crm]
    billing: [financial]
  protected: [public.audit_log, vault]
rules:
  - rule: test-no-drop
  - rule: test-max-rows
    kinds: [agent]
  - rule: test-mask
  - id: tagged
    when: '"financial" in dataTags'
    action: review
`);
const alice = base.actors.get('alice')!;
const bot = base.actors.get('bot')!;

function countingImpact(rows: number): ImpactPort & { calls: number } {
  const port = {
    calls: 0,
    async measure() {
      port.calls++;
      return { rows, mode: 'estimate' as const };
    },
  };
  return port;
}

test('each statement is decided; the strictest decides the whole text', async () => {
  const guard = createGuard({ policy: base });
  const result = await guard.evaluate({ sql: 'SELECT 1; DROP TABLE users; SELECT 2', actor: alice, session: {} });
  assert.equal(result.analysis.statements.length, 3);
  assert.deepEqual(result.decisions.map((d) => d.action), ['allow', 'deny', 'allow']);
  assert.equal(result.decision.action, 'deny');
  assert.deepEqual(result.decision.rules, ['test-no-drop']);
});

test('an analysis made earlier is reused, not redone', async () => {
  let analysed = 0;
  const guard = createGuard({
    policy: base,
    analyze: (text) => {
      analysed++;
      return { statements: [statement({ sql: text })] };
    },
  });
  await guard.evaluate({ sql: 'x', analysis: { statements: [dropUsers] }, actor: alice, session: {} });
  assert.equal(analysed, 0);
  const result = await guard.evaluate({ sql: 'select 1', actor: alice, session: {} });
  assert.equal(analysed, 1);
  assert.equal(result.decision.action, 'allow');
});

test('the static catalog resolves tags of schemas, tables and columns, and protection', async () => {
  const catalog = staticCatalog(base);
  const facts = await catalog.resolve(
    [
      { name: 'customers', qualified: false },
      { name: 'invoices', schema: 'billing', qualified: true },
      { name: 'audit_log', schema: 'public', qualified: true },
      { name: 'keys', schema: 'vault', qualified: true },
    ],
    {},
  );
  assert.equal(facts['public.customers']!.protected, undefined);
  assert.deepEqual(facts['public.customers'], { schema: 'public', name: 'customers', tags: ['crm'], columnTags: { email: ['pii'] } });
  assert.deepEqual(facts['billing.invoices']!.tags, ['financial']);
  assert.equal(facts['public.audit_log']!.protected, true);
  assert.equal(facts['vault.keys']!.protected, true);
});

test('catalog facts reach the rules and CEL conditions', async () => {
  const guard = createGuard({ policy: base });
  const masked = await guard.evaluate({ sql: 'SELECT email FROM customers', actor: alice, session: {} });
  assert.equal(masked.decision.action, 'allow');
  assert.deepEqual(masked.decision.rules, ['test-mask']);
  const financial = await guard.evaluate({ sql: 'SELECT * FROM billing.invoices', actor: alice, session: {} });
  assert.equal(financial.decision.action, 'review');
});

test('the impact port is asked only when a rule in scope needs the figure', async () => {
  const impact = countingImpact(3);
  const guard = createGuard({ policy: base, impact });
  await guard.evaluate({ sql: 'SELECT * FROM t', actor: bot, session: {} });
  assert.equal(impact.calls, 0, 'a read needs no figure');
  await guard.evaluate({ sql: 'DELETE FROM t WHERE id = 1', actor: alice, session: {} });
  assert.equal(impact.calls, 0, 'no rule in scope for this actor needs one');
  const result = await guard.evaluate({ sql: 'DELETE FROM t WHERE id = 1', actor: bot, session: {} });
  assert.equal(impact.calls, 1);
  assert.equal(result.decision.action, 'allow');
  assert.deepEqual(result.decision.impact, { rows: 3, mode: 'estimate' });
  const big = await createGuard({ policy: base, impact: countingImpact(5000) }).evaluate({ sql: 'DELETE FROM t WHERE id > 1', actor: bot, session: {} });
  assert.equal(big.decision.action, 'deny');
});

test('an impact port that fails gives an unknown figure, never zero', async () => {
  const guard = createGuard({
    policy: base,
    impact: {
      measure: async () => {
        throw new Error('explain failed');
      },
    },
  });
  const result = await guard.evaluate({ sql: 'DELETE FROM t WHERE id = 1', actor: bot, session: {} });
  assert.equal(result.decision.action, 'review', 'the test rule escalates unknown figures to review');
  assert.deepEqual(result.decision.reasons.map((r) => r.rule), ['test-max-rows']);
});

test('a catalog that fails denies (fail closed), with the error', async () => {
  const broken: CatalogPort = {
    resolve: () => {
      throw new Error('catalog unreachable');
    },
  };
  const result = await createGuard({ policy: base, catalog: broken }).evaluate({ sql: 'SELECT * FROM t', actor: alice, session: {} });
  assert.equal(result.decision.action, 'deny');
  assert.deepEqual(result.decision.rules, [EngineRule.pipeline]);
  assert.match(result.decision.errors[0]!, /catalog unreachable/);
});

test('an analyser that throws is an analysis error: denied', async () => {
  const guard = createGuard({
    policy: base,
    analyze: () => {
      throw new Error('wasm trap');
    },
  });
  const result = await guard.evaluate({ sql: 'SELECT 1', actor: alice, session: {} });
  assert.equal(result.decision.action, 'deny');
  assert.deepEqual(result.decision.rules, [EngineRule.analysis]);
});

test('the clock and environment come from the options', async () => {
  const p = policy('rules:\n  - id: night\n    when: now.getHours() < 6 && environment == "production"\n');
  const at = (iso: string, environment?: string) =>
    createGuard({ policy: p, clock: () => new Date(iso), ...(environment ? { environment } : {}) }).evaluate({ sql: 'SELECT 1', actor: alice, session: {} });
  assert.equal((await at('2025-01-01T03:00:00Z')).decision.action, 'deny');
  assert.equal((await at('2025-01-01T13:00:00Z')).decision.action, 'allow');
  assert.equal((await at('2025-01-01T03:00:00Z', 'staging')).decision.action, 'allow');
});

test('actors by name, and the anonymous actor of the most restricted kind', () => {
  const guard = createGuard({ policy: base });
  assert.equal(guard.actor('alice'), alice);
  assert.equal(guard.actor('nobody'), undefined);
  // This policy lets agents through by default but not pipelines: pipelines are the most restricted.
  assert.equal(guard.anonymousActor().kind, 'pipeline');
  assert.deepEqual(guard.anonymousActor().groups, []);
});

test('the whole text is allowed when empty', async () => {
  const guard = createGuard({ policy: base, analyze: () => ({ statements: [] as StatementAnalysis[] }) });
  const result = await guard.evaluate({ sql: '', actor: alice, session: {} });
  assert.equal(result.decision.action, 'allow');
});
