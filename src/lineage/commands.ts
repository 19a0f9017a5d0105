/**
 * What `parapet lineage …` does, apart from argument parsing (src/cli/commands/lineage.ts): each
 * command replays the audit trail into lineage and prints it. Exit 0, or 2 on configuration errors.
 */
import { writeFileSync } from 'node:fs';
import { guarded, openForReading, type CommandIO } from '../audit/commands.js';
import { oneLine } from '../audit/format.js';
import type { AuditConfig } from '../audit/index.js';
import { initParser } from '../sql/index.js';
import { edges, qualify, replay, timeline, walk, type Edge, type TimelineEntry } from './history.js';
import { runEvents, type OpenLineageOptions } from './openlineage.js';

async function withHistory<T>(config: AuditConfig, work: (store: Awaited<ReturnType<typeof openForReading>>, history: Awaited<ReturnType<typeof replay>>) => Promise<T>): Promise<T> {
  await initParser(); // column lineage parses the recorded statements
  const store = await openForReading(config);
  try {
    return await work(store, await replay(store));
  } finally {
    await store.close();
  }
}

/** One line per table pair, newest change last. */
function formatEdges(list: Edge[], direction: 'upstream' | 'downstream'): string[] {
  const pairs = new Map<string, Edge[]>();
  for (const e of list) {
    const key = `${e.from}\u0000${e.to}`;
    pairs.set(key, [...(pairs.get(key) ?? []), e]);
  }
  return [...pairs.values()].map((group) => {
    const last = group[group.length - 1]!;
    const actors = [...new Set(group.map((e) => `${e.actor.name}(${e.actor.kind})`))].join(', ');
    const rows = group.reduce((n, e) => n + (e.rows ?? 0), 0);
    const ops = [...new Set(group.map((e) => e.operation))].join('/');
    const columns = [...new Set(group.flatMap((e) => e.columns.map((c) => `${c.target} ← ${c.source}${c.transformation === 'identity' ? '' : ` (${c.transformation})`}`)))];
    const arrow = direction === 'upstream' ? `${last.to} ← ${last.from}` : `${last.from} → ${last.to}`;
    const extra = [last.runTag && `run=${last.runTag}`, last.reason && `reason=${last.reason}`].filter(Boolean).join('  ');
    return `${arrow}  ${ops} by ${actors}  ${group.length}× last ${last.time} (#${last.decision})  rows=${rows}${extra ? `  ${extra}` : ''}${columns.length ? `\n    columns: ${columns.join(', ')}` : ''}`;
  });
}

export async function runWalk(config: AuditConfig, table: string, direction: 'upstream' | 'downstream', options: { depth?: number; json: boolean }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withHistory(config, async (_store, history) => {
      const found = walk(edges(history), table, direction, options.depth ?? Infinity);
      if (options.json) for (const e of found) io.stdout(`${JSON.stringify(e)}\n`);
      else if (found.length === 0) io.stdout(`no committed ${direction === 'upstream' ? 'sources of' : 'tables fed by'} ${qualify(table)} in the audit trail\n`);
      else for (const line of formatEdges(found, direction)) io.stdout(`${line}\n`);
      return 0;
    }),
  );
}

function formatEntry(e: TimelineEntry): string {
  const parts = [
    `#${e.seq} ${e.time}`,
    e.status.toUpperCase().padEnd(9),
    `${e.actor.name}(${e.actor.kind})`,
    e.operation,
    e.rows !== undefined ? `rows=${e.rows}` : '',
    `session=${e.session}`,
    e.runTag ? `run=${e.runTag}` : '',
    e.rules?.length ? `[${e.rules.join(',')}]` : '',
    e.why ? `— ${e.why}` : '',
    e.error ? `— ${e.error}` : '',
  ];
  return `${parts.filter(Boolean).join('  ')}\n    ${oneLine(e.statement)}`;
}

export async function runTimeline(config: AuditConfig, table: string, options: { since?: string; until?: string; json: boolean }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withHistory(config, async (store, history) => {
      const entries = await timeline(store, history, table, { ...(options.since ? { since: options.since } : {}), ...(options.until ? { until: options.until } : {}) });
      if (options.json) for (const e of entries) io.stdout(`${JSON.stringify(e)}\n`);
      else if (entries.length === 0) io.stdout(`no changes or blocked attempts on ${table} in the audit trail\n`);
      else for (const e of entries) io.stdout(`${formatEntry(e)}\n`);
      return 0;
    }),
  );
}

export async function runEventsExport(config: AuditConfig, options: OpenLineageOptions & { since?: string; until?: string; out?: string }, io: CommandIO): Promise<number> {
  return guarded(io, () =>
    withHistory(config, async (_store, history) => {
      const lines: string[] = [];
      for (const t of history.transactions) {
        if ((options.since && t.ended < options.since) || (options.until && t.ended >= options.until)) continue;
        for (const event of runEvents(t, options)) lines.push(JSON.stringify(event));
      }
      const text = lines.length ? `${lines.join('\n')}\n` : '';
      if (options.out) {
        writeFileSync(options.out, text);
        io.stderr(`wrote ${lines.length} OpenLineage events to ${options.out}\n`);
      } else io.stdout(text);
      return 0;
    }),
  );
}
