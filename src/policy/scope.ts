/**
 * Which rules apply to whom. Scopes are matched once per (actor, environment) and cached, so a
 * decision walks only the rules that concern its actor.
 */
import type { CompiledRule, Scope } from './policy.js';
import type { Actor } from './types.js';

export function inScope(scope: Scope, actor: Actor, environment: string): boolean {
  if (scope.actors && !scope.actors.has(actor.name)) return false;
  if (scope.kinds && !scope.kinds.has(actor.kind)) return false;
  if (scope.groups && !actor.groups.some((g) => scope.groups!.has(g))) return false;
  if (scope.environments && !scope.environments.has(environment)) return false;
  const except = scope.except;
  if (except) {
    if (except.actors?.has(actor.name)) return false;
    if (except.kinds?.has(actor.kind)) return false;
    if (except.groups && actor.groups.some((g) => except.groups!.has(g))) return false;
  }
  return true;
}

/** `rulesFor(actor, environment)` with a cache keyed by the actor object (actors are long-lived). */
export function scopedRules(rules: readonly CompiledRule[]): (actor: Actor, environment: string) => readonly CompiledRule[] {
  const cache = new WeakMap<Actor, Map<string, readonly CompiledRule[]>>();
  return (actor, environment) => {
    let byEnvironment = cache.get(actor);
    if (!byEnvironment) cache.set(actor, (byEnvironment = new Map()));
    let applicable = byEnvironment.get(environment);
    if (!applicable) {
      applicable = rules.filter((rule) => inScope(rule.scope, actor, environment));
      byEnvironment.set(environment, applicable);
    }
    return applicable;
  };
}
