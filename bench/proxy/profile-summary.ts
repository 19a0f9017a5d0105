/**
 * `node dist/bench/proxy/profile-summary.js FILE.cpuprofile [--top N]`: where a V8 CPU profile's
 * time goes — self time by function and by source file, and total (inclusive) time of the
 * functions that matter for the proxy's per-statement path. Reads what `node --cpu-prof` writes.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { table } from '../report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function place(url: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) return path.slice(inModules + 1).split('/').slice(0, 2).join('/');
  return path.includes('/dist/') ? path.slice(path.indexOf('/dist/') + 6) : relative(process.cwd(), path);
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${place(url)}${url ? `:${lineNumber + 1}` : ''}`;
}

export function summarise(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);

  const selfByLabel = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  // Inclusive time per label: each sample counts once for every distinct label on its stack.
  const inclusive = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id)!;
    selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + time);
    const file = place(node.callFrame.url);
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + time);
    }
  }
  const pct = (t: number) => ((100 * t) / total).toFixed(1);
  const ms = (t: number) => (t / 1000).toFixed(0);
  const rank = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const busy = total - idle;
  return [
    `sampled ${ms(total)} ms: busy ${ms(busy)} ms (${pct(busy)} %), idle ${ms(idle)} ms (${pct(idle)} %)`,
    '',
    'self time by source file:',
    table(['file', 'ms', '%'], rank(selfByFile).map(([k, t]) => [k, ms(t), pct(t)])),
    '',
    'self time by function:',
    table(['function', 'ms', '%'], rank(selfByLabel).map(([k, t]) => [k, ms(t), pct(t)])),
    '',
    'total (inclusive) time by function:',
    table(['function', 'ms', '%'], rank(inclusive).map(([k, t]) => [k, ms(t), pct(t)])),
  ].join('\n');
}

const [file, ...rest] = process.argv.slice(2);
if (file) {
  const topAt = rest.indexOf('--top');
  const top = topAt >= 0 ? Number(rest[topAt + 1]) : 30;
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top));
} else {
  console.error('usage: node dist/bench/proxy/profile-summary.js FILE.cpuprofile [--top N]');
  process.exitCode = 2;
}
