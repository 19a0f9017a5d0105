/** Shared policy and helpers of the proxy tests. */
import pg from 'pg';

/**
 * alice: a person, allowed unless a rule objects; bot: an agent that may only read (its sessions are
 * read-only upstream); both are stopped by the same safety rules.
 */
export const TEST_POLICY = `
version: 1
environment: test
defaults: { human: allow, agent: deny }
actors:
  alice: { kind: human }
  bot: { kind: agent }
rules:
  - rule: no-drop
  - rule: require-where
  - rule: no-trigger-disable
  - rule: no-pinned-setting-change
  - rule: no-server-file-access
  - rule: no-program-exec
  - rule: no-config-change
    kinds: [agent]
  - rule: read-only
    kinds: [agent]
  - id: agents-read
    kinds: [agent]
    when: statement.readOnly == true
    action: allow
`;

export const SECRETS = { alice: 'alice-pw', bot: 'bot-pw' };

/** Runs SQL on a database as the admin and returns the rows. */
export async function adminRows<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The transaction state of the upstream session with this application_name, as ReadyForQuery would say it. */
export async function upstreamStatus(adminUrl: string, applicationName: string): Promise<string | undefined> {
  const rows = await adminRows<{ state: string }>(adminUrl, 'select state from pg_stat_activity where application_name = $1', [applicationName]);
  const state = rows[0]?.state;
  return state === 'idle' ? 'I' : state === 'idle in transaction' ? 'T' : state === 'idle in transaction (aborted)' ? 'E' : state;
}
