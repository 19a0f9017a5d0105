/**
 * The policy and the actor secrets as one swappable unit, for reload on SIGHUP: sessions hold the
 * ports below, which always ask the current rules, so a reload applies to the next statement of
 * every session. A reload that fails (a policy or secrets file with errors) changes nothing: the
 * errors are logged, located, and the previous rules stay.
 */
import type { CredentialsPort, GuardPort, ProxyLog } from './ports.js';

/** What a reload replaces at once. */
export interface Rules {
  guard: GuardPort;
  credentials: CredentialsPort;
  /** The policy file, for messages. */
  source: string;
}

export type ReloadResult = { ok: true } | { ok: false; message: string };

export class LiveRules {
  #current: Rules;

  constructor(
    initial: Rules,
    /** Loads the rules again from their files; throws with a readable (located) message when they are wrong. */
    private readonly load: () => Rules,
    private readonly log: ProxyLog,
  ) {
    this.#current = initial;
  }

  readonly guard: GuardPort = {
    evaluate: (request) => this.#current.guard.evaluate(request),
    decideConnect: (actor, database, parameters) => this.#current.guard.decideConnect(actor, database, parameters),
    actor: (name) => this.#current.guard.actor(name),
  };

  readonly credentials: CredentialsPort = {
    verifier: (actor) => this.#current.credentials.verifier(actor),
  };

  reload(): ReloadResult {
    let next: Rules;
    try {
      next = this.load();
    } catch (error) {
      const message = (error as Error).message;
      this.log.error(`reload rejected; the previous policy stays in force:\n${message}`);
      return { ok: false, message };
    }
    this.#current = next;
    this.log.info(`reloaded the policy from ${next.source}`);
    return { ok: true };
  }
}
