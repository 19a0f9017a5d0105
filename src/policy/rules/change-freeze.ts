import { defineRule, type RuleContext, type RuleMatch } from '../rule.js';
import { changesData, code, kindText } from './support.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Day = (typeof DAYS)[number];

/** A freeze window: a fixed period (`from`/`to`), or a weekly one (`days`, optional `hours`, in `utcOffset`). */
export type FreezeWindow = { name?: string; from?: string; to?: string; days?: Day[]; hours?: string; utcOffset?: string };
export type ChangeFreezeParams = { windows: FreezeWindow[] };

const HOURS = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

function minutes(h: string, m: string): number {
  return Number(h) * 60 + Number(m);
}

/** Whether `now` (ms) falls in the window; undefined when the window cannot be read. */
function inWindow(window: FreezeWindow, now: number): boolean | undefined {
  if (window.from !== undefined || window.to !== undefined) {
    const from = window.from === undefined ? -Infinity : Date.parse(window.from);
    const to = window.to === undefined ? Infinity : Date.parse(window.to);
    return Number.isNaN(from) || Number.isNaN(to) ? undefined : from <= now && now < to;
  }
  const offset = OFFSET.exec(window.utcOffset ?? '+00:00');
  const hours = HOURS.exec(window.hours ?? '00:00-24:00');
  const days = window.days;
  if (offset === null || hours === null || days === undefined) return undefined;
  const local = new Date(now + (offset[1] === '-' ? -1 : 1) * minutes(offset[2]!, offset[3]!) * 60_000);
  const day = local.getUTCDay();
  const at = local.getUTCHours() * 60 + local.getUTCMinutes();
  const start = minutes(hours[1]!, hours[2]!);
  const end = minutes(hours[3]!, hours[4]!);
  const on = (d: number) => days.includes(DAYS[(d + 7) % 7]!);
  // A window whose end is not after its start runs past midnight into the next day.
  return start < end ? on(day) && at >= start && at < end : (on(day) && at >= start) || (on(day - 1) && at < end);
}

function label(window: FreezeWindow): string {
  if (window.name !== undefined) return window.name;
  if (window.days === undefined) return `${window.from ?? '…'} to ${window.to ?? '…'}`;
  return `${window.days.join(',')} ${window.hours ?? 'all day'} ${window.utcOffset ?? '+00:00'}`;
}

export const changeFreeze = defineRule({
  id: 'change-freeze',
  summary: 'Blocks writes and schema changes during change-freeze windows (fixed periods or weekly hours)',
  rationale:
    'Teams freeze changes when a mistake would hurt most or be noticed latest: during a launch, over the year-end close, on Friday evenings and weekends. ' +
    'A freeze that lives only in a calendar is easy to miss at 3 a.m.; enforced at the database door it holds for people, pipelines and agents alike.',
  solution: 'Wait until the window ends, or ask for approval for an urgent fix.',
  defaultAction: 'deny',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      windows: {
        type: 'array',
        description: 'Freeze windows: `{from, to}` as ISO 8601 times, or weekly `{days: [mon…sun], hours: "HH:MM-HH:MM", utcOffset: "+HH:MM"}` (hours that end before they start run past midnight)',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            from: { type: 'string' },
            to: { type: 'string' },
            days: { type: 'array', minItems: 1, items: { enum: [...DAYS] } },
            hours: { type: 'string', pattern: HOURS.source },
            utcOffset: { type: 'string', pattern: OFFSET.source },
          },
          anyOf: [{ required: ['from'] }, { required: ['to'] }, { required: ['days'] }],
        },
      },
    },
  },
  defaults: { windows: [] } as ChangeFreezeParams,
  examples: {
    match: [
      {
        sql: "UPDATE prices SET amount = 10 WHERE id = 1",
        params: { windows: [{ name: 'year-end close', from: '2025-12-20T00:00:00Z', to: '2026-01-05T00:00:00Z' }] },
        now: '2025-12-24T10:00:00Z',
      },
      {
        sql: 'ALTER TABLE orders ADD COLUMN note text',
        params: { windows: [{ days: ['fri'], hours: '16:00-08:00', utcOffset: '+01:00' }] },
        now: '2025-01-18T05:00:00Z',
        note: 'Saturday 06:00 local: still inside Friday evening\'s window',
      },
      { sql: 'DELETE FROM carts WHERE id = 1', params: { windows: [{ days: ['sat', 'sun'] }] }, now: '2025-01-19T12:00:00Z' },
    ],
    noMatch: [
      { sql: 'SELECT * FROM prices', params: { windows: [{ from: '2025-12-20T00:00:00Z', to: '2026-01-05T00:00:00Z' }] }, now: '2025-12-24T10:00:00Z' },
      { sql: 'UPDATE prices SET amount = 10 WHERE id = 1', params: { windows: [{ from: '2025-12-20T00:00:00Z', to: '2026-01-05T00:00:00Z' }] }, now: '2026-01-05T00:00:00Z' },
      { sql: 'DELETE FROM carts WHERE id = 1', params: { windows: [{ days: ['fri'], hours: '16:00-08:00', utcOffset: '+01:00' }] }, now: '2025-01-18T08:30:00Z' },
    ],
  },
  check({ request, params }: RuleContext<ChangeFreezeParams>): RuleMatch[] {
    if (!changesData(request.statement) || params.windows.length === 0) return [];
    const what = code(kindText(request.statement));
    const hint = 'wait until the freeze window ends, or ask for approval';
    const now = Date.parse(request.now);
    if (Number.isNaN(now)) return [{ message: `the decision time ${code(request.now)} is not a valid time, so the freeze windows cannot be checked`, hint }];
    const matches: RuleMatch[] = [];
    for (const window of params.windows) {
      const inside = inWindow(window, now);
      if (inside === undefined) matches.push({ message: `freeze window ${code(label(window))} cannot be read, so the ${what} is held as if it were inside it`, hint });
      else if (inside) matches.push({ message: `the ${what} falls in the change freeze ${code(label(window))}${window.to === undefined ? '' : ` (until ${code(window.to)})`}`, hint });
    }
    return matches;
  },
});
