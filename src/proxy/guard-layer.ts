/**
 * A guard that adds to another guard's `evaluate` and passes the rest through. A class rather than
 * an object of closures: the proxy stacks several layers per session, and as instances they share
 * their methods, so a layer costs one small object per session.
 */
import type { GuardInput, GuardResult } from '../guard/types.js';
import type { Actor, Decision } from '../policy/types.js';
import type { GuardPort } from './ports.js';

export abstract class GuardLayer implements GuardPort {
  constructor(protected readonly inner: GuardPort) {}

  abstract evaluate(request: GuardInput): Promise<GuardResult>;

  decideConnect(actor: Actor, database: string, startupParameters: Record<string, string>): Decision | Promise<Decision> {
    return this.inner.decideConnect(actor, database, startupParameters);
  }

  actor(name: string): Actor | undefined {
    return this.inner.actor(name);
  }
}
