/**
 * Keeps an actor's statement timeout in force. Parapet sets it as the upstream session's
 * `statement_timeout` at startup (limits.ts), so `RESET` returns to it; what could undo it is a
 * `SET` or `set_config()` that raises it or turns it off. Such a statement is refused here — a
 * lower value is allowed, a value Parapet cannot read is not (fail closed).
 */
import { strictest } from '../policy/combine.js';
import type { Actor, Decision } from '../policy/types.js';
import type { GuardInput, GuardResult } from '../guard/types.js';
import type { StatementAnalysis } from '../sql/types.js';
import { ProxyRule, proxyDenial } from './denial.js';
import { GuardLayer } from './guard-layer.js';
import type { GuardPort } from './ports.js';

/** Milliseconds per unit of PostgreSQL's time settings (a bare number is milliseconds). */
const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A `statement_timeout` value in milliseconds (0 = off), or undefined when it cannot be read. */
export function timeoutValue(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = match[2] === '' ? 1 : UNITS[match[2]!.toLowerCase()];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** Why the statement may not run under a pinned timeout of `pinnedMs`, or undefined when it may. */
export function timeoutChange(statement: StatementAnalysis, pinnedMs: number): string | undefined {
  for (const effect of statement.effects) {
    if (effect.type !== 'config' || (effect.operation !== 'set' && effect.operation !== 'set-config')) continue;
    if (effect.name !== undefined && effect.name !== 'statement_timeout') continue;
    if (effect.name === undefined) return 'it sets a setting whose name parapet cannot read';
    const value = effect.value === undefined ? undefined : timeoutValue(effect.value);
    if (value === undefined) return 'it sets `statement_timeout` to a value parapet cannot read';
    if (value === 0 || value > pinnedMs) return `it raises \`statement_timeout\` above ${pinnedMs} ms or turns it off`;
  }
  return undefined;
}

/** The guard, with statements that would lift the actor's statement timeout refused. */
export function pinStatementTimeout(guard: GuardPort, timeoutOf: (actor: Actor) => number | undefined): GuardPort {
  return new PinnedTimeoutGuard(guard, timeoutOf);
}

class PinnedTimeoutGuard extends GuardLayer {
  constructor(
    inner: GuardPort,
    private readonly timeoutOf: (actor: Actor) => number | undefined,
  ) {
    super(inner);
  }

  async evaluate(request: GuardInput): Promise<GuardResult> {
    const result = await this.inner.evaluate(request);
    const pinned = this.timeoutOf(request.actor);
    if (pinned === undefined) return result;
    let changed = false;
    const decisions: Decision[] = result.analysis.statements.map((statement, i) => {
      const decision = result.decisions[i] ?? result.decision;
      const reason = timeoutChange(statement, pinned);
      if (reason === undefined) return decision;
      changed = true;
      return proxyDenial(ProxyRule.pinnedSetting, `\`statement_timeout\` is set by parapet for this actor and cannot be lifted: ${reason}`, {
        hint: `set a value between 1 and ${pinned} ms, or RESET statement_timeout`,
      });
    });
    return changed ? { ...result, decisions, decision: strictest(decisions) } : result;
  }
}
