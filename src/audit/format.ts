/** One readable line per record, for `audit tail` and `audit search`. */
import type { AuditActor, AuditRecord } from './record.js';

function actor(a: AuditActor | undefined): string {
  return a ? `${a.name}(${a.kind})` : '-';
}

function tags(t: Record<string, string>): string {
  const entries = Object.entries(t);
  return entries.length ? ` {${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}` : '';
}

/** Newlines and tabs in statement text would break the one-record-per-line layout. */
export function oneLine(text: string, max = 160): string {
  let flat = '';
  let space = false;
  for (const ch of text) {
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\f' || ch === '\v') space = flat.length > 0;
    else {
      if (space) flat += ' ';
      flat += ch;
      space = false;
    }
  }
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatRecord(r: AuditRecord): string {
  const head = `#${r.seq} ${r.time}`;
  switch (r.kind) {
    case 'decision':
      return [
        head,
        `${r.action.toUpperCase().padEnd(6)}`,
        actor(r.actor),
        `session=${r.session}`,
        r.clientAddress ? `from=${r.clientAddress}` : '',
        r.applicationName ? `app=${r.applicationName}` : '',
        r.rules.length ? `[${r.rules.join(',')}]` : '',
        oneLine(r.statement),
        r.action === 'allow' ? '' : `— ${r.message}`,
      ]
        .filter(Boolean)
        .join('  ') + tags(r.tags);
    case 'outcome': {
      const result = r.error ? `ERROR ${r.error.sqlstate} ${oneLine(r.error.message, 120)}` : (r.commandTag ?? 'done');
      return `${head}  outcome  session=${r.session}  of #${r.decision}  ${result}${r.rows !== undefined ? `  rows=${r.rows}` : ''}  ${r.durationMs.toFixed(1)}ms${r.end ? `  ${r.end}` : ''}`;
    }
    case 'session': {
      const who = r.event === 'auth-failure' ? `user=${r.user ?? '-'}` : actor(r.actor);
      const where = [r.clientAddress && `from=${r.clientAddress}`, r.applicationName && `app=${r.applicationName}`, r.database && `db=${r.database}`].filter(Boolean).join('  ');
      return `${head}  session  ${r.event}  ${who}  session=${r.session}  ${where}${r.reason ? `  (${r.reason})` : ''}`;
    }
    case 'transaction':
      return `${head}  transaction  ${r.end}  session=${r.session}`;
    case 'genesis':
      return r.reason === 'created'
        ? `${head}  genesis  chain created (${r.algorithm}) by ${r.instance}`
        : `${head}  genesis  stands in for ${r.removed} pruned records older than ${r.prunedBefore}`;
    case 'checkpoint':
      return `${head}  checkpoint  pruned ${r.removed} records older than ${r.before}; vouches for #${r.through} ${r.throughHash.slice(0, 12)}…`;
  }
}
