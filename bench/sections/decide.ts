/**
 * decide() bench: one decision on an already-analysed statement, with a policy of 30 rules of which
 * 10 are CEL conditions (the shipped default policy plus custom rules). Goal (issue 3): ≤ 10 µs
 * median. Also the whole guard pipeline (cached analysis, static catalog) for reference.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY_PATH } from '../../src/cli/policy-files.js';
import { createGuard, staticCatalog } from '../../src/guard/index.js';
import { relationsOf } from '../../src/guard/relations.js';
import { decide } from '../../src/policy/decide.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import type { Actor, DecisionRequest } from '../../src/policy/types.js';
import { analyze, initParser } from '../../src/sql/index.js';
import { summarize, timeEach } from '../measure.js';
import { micros, table, type Cell } from '../report.js';
import type { BenchSection } from '../section.js';

/** Nine CEL rules on top of the default policy's twenty-one (one of which is CEL): 30 rules, 10 CEL. */
const EXTRA = `
actors:
  ada: { kind: human, groups: [dba] }
  helper: { kind: agent, groups: [support], attributes: { model: claude } }
resources:
  tags:
    public.customers.email: [pii]
    public.customers.phone: [pii]
    billing: [financial]
  protected: [public.audit_log]
rules_extra:
  - id: night-deletes
    when: statement.kind == "delete" && now.getHours() < 6
    action: review
  - id: agents-touching-pii
    when: '"pii" in dataTags && actor.kind == "agent" && statement.writes.size() > 0'
  - id: contractors-read-only
    when: actor.groups.exists(g, g == "contractors") && statement.writes.size() > 0
  - id: dashboards-need-limits
    when: session.applicationName.startsWith("metabase") && !statement.hasLimit
  - id: catalog-functions
    when: statement.functions.exists(f, f.startsWith("pg_terminate"))
  - id: friday-ddl
    when: statement.ddlOperations.size() > 0 && now.getDayOfWeek() == 5 && environment == "production"
    action: review
  - id: financial-writes
    when: '"financial" in dataTags && statement.writes.size() > 0'
    action: review
  - id: protected-writes
    when: relations.exists(k, relations[k].protected) && statement.writes.size() > 0
  - id: experimental-models
    when: '"model" in actor.attributes && actor.attributes.model == "experimental"'
`;

const STATEMENTS = [
  'SELECT id, email FROM customers WHERE id = 42',
  'SELECT c.id, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = $1 GROUP BY c.id LIMIT 50',
  'UPDATE accounts SET balance = balance - 10 WHERE id = 7',
  'INSERT INTO orders (id, customer_id, total) VALUES (1, 2, 9.5)',
  "DELETE FROM sessions WHERE expires_at < now() - interval '1 day'",
  'UPDATE billing.invoices SET paid = true WHERE id = 9',
  'DROP TABLE users',
  'DELETE FROM users',
  'SET search_path = evil, public',
  'GRANT ALL ON customers TO PUBLIC',
  "SELECT pg_read_file('/etc/passwd')",
  'SELECT abalance FROM pgbench_accounts WHERE aid = 123',
];

export const decideSection: BenchSection = {
  name: 'decide',
  summary: 'decide() on analysed statements; policy of 30 rules incl. 10 CEL conditions (goal: median ≤ 10 µs)',
  async run() {
    await initParser();
    const base = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
    // The extra rules join the default policy's list; the rest of EXTRA adds actors and tags.
    const text = base.replace(/^rules:\n/m, `rules:\n${EXTRA.split('rules_extra:\n')[1]}`) + EXTRA.split('rules_extra:\n')[0];
    const loaded = loadPolicy(text, { file: 'bench-policy.yaml' });
    if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('\n'));
    const policy = loaded.policy;
    const cel = policy.rules.filter((r) => r.when).length;
    console.log(`policy: ${policy.rules.length} rules, ${cel} with CEL conditions`);

    const catalog = staticCatalog(policy);
    const actors: Actor[] = [policy.actors.get('helper')!, policy.actors.get('ada')!, policy.anonymous];
    const requests: { label: string; request: DecisionRequest }[] = [];
    for (const sql of STATEMENTS) {
      const statement = analyze(sql).statements[0]!;
      for (const actor of actors) {
        const relations = await catalog.resolve(relationsOf(statement), {});
        requests.push({
          label: `${actor.kind.padEnd(5)} ${sql.length > 48 ? `${sql.slice(0, 47)}…` : sql}`,
          request: { actor, session: { applicationName: 'psql', door: 'proxy' }, statement, relations, environment: policy.environment, now: '2025-03-05T14:00:00Z' },
        });
      }
    }

    const perCall = 20_000;
    const rows: Cell[][] = [];
    const all: number[] = [];
    for (const { label, request } of requests) {
      const inputs = new Array<DecisionRequest>(perCall).fill(request);
      const s = timeEach(inputs, (r) => decide(r, policy));
      rows.push([label, decide(request, policy).action, micros(s.median), micros(s.p99)]);
      all.push(s.median);
    }
    console.log(table(['actor statement', 'decision', 'median µs', 'p99 µs'], rows));

    const mixed = Array.from({ length: 200_000 }, (_, i) => requests[i % requests.length]!.request);
    const overall = timeEach(mixed, (r) => decide(r, policy));
    console.log(`\ndecide(), all requests interleaved: median ${micros(overall.median)} µs, p99 ${micros(overall.p99)} µs, mean ${micros(overall.mean)} µs (${overall.calls} calls)`);

    // The whole pipeline per statement: cached analysis + static catalog + decide, through the async guard.
    const guard = createGuard({ policy, clock: () => new Date('2025-03-05T14:00:00Z') });
    const samples = new Float64Array(20_000);
    for (let i = 0; i < 2000; i++) await guard.evaluate({ sql: STATEMENTS[i % STATEMENTS.length]!, actor: actors[i % 3]!, session: {} });
    for (let i = 0; i < samples.length; i++) {
      const started = process.hrtime.bigint();
      await guard.evaluate({ sql: STATEMENTS[i % STATEMENTS.length]!, actor: actors[i % 3]!, session: {} });
      samples[i] = Number(process.hrtime.bigint() - started) / 1000;
    }
    const pipeline = summarize(samples);
    console.log(`guard.evaluate() (cached analysis, static catalog): median ${micros(pipeline.median)} µs, p99 ${micros(pipeline.p99)} µs`);
  },
};
