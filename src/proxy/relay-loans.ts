/**
 * Lending the client's upstream session to Parapet's own exchanges between the client's messages:
 * an impact estimate's EXPLAIN, an exact run (src/proxy/exact-segment.ts), the embedded catalog's
 * reads (src/catalog/lent-queries.ts). A loan starts once every earlier reply is in, and the relay's
 * upstream listener is detached for its length, so the loan's work reads the socket by itself.
 */
import type { TransactionStatus } from '../protocol/codes.js';
import type { BorrowedSession } from '../catalog/lent-queries.js';
import type { UpstreamLink } from './ports.js';

/** Why Parapet may not borrow the client's upstream session now. */
export type LendRefusal = 'not-deciding' | 'segment-open' | 'busy' | 'ended';

/** `Relay.lend` refused: nothing was sent upstream. */
export class LendRefused extends Error {
  constructor(readonly code: LendRefusal) {
    super(LEND_MESSAGES[code]);
    this.name = 'LendRefused';
  }
}

const LEND_MESSAGES: Record<LendRefusal, string> = {
  'not-deciding': 'parapet runs its own SQL on the session only while deciding a simple query',
  'segment-open': 'an extended-protocol segment is open on the session (no Sync yet)',
  busy: 'the session still has replies in flight',
  ended: 'the session ended',
};

/** What a loan needs from the relay. */
export interface LoanSite {
  readonly upstream: UpstreamLink;
  /** The relay's upstream data listener. */
  readonly listener: (chunk: Buffer) => void;
  ended(): boolean;
  status(): TransactionStatus;
  /** Replies are still owed to the client, or upstream frames are still being handled. */
  busy(): boolean;
  /** Sends now the upstream bytes held behind the pending decision. */
  release(): void;
}

export class SessionLoans {
  readonly #site: LoanSite;
  #waiters: (() => void)[] = [];
  #lent = false;

  constructor(site: LoanSite) {
    this.#site = site;
  }

  /** Parapet's own SQL is on the session: a CancelRequest now goes upstream as well. */
  get lent(): boolean {
    return this.#lent;
  }

  /**
   * Runs `work` on the session once every earlier reply is in (or refuses at once, `LendRefused`
   * 'busy', with `wait: false`); 'ended' if the session ends first. Nothing is sent when refused.
   */
  async borrow<T>(work: (session: BorrowedSession) => Promise<T>, options: { wait?: boolean } = {}): Promise<T> {
    const site = this.#site;
    site.release();
    if (site.busy() && options.wait === false) throw new LendRefused('busy');
    while (site.busy() && !site.ended()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (site.ended()) throw new LendRefused('ended');
    const socket = site.upstream.socket;
    socket.removeListener('data', site.listener);
    this.#lent = true;
    try {
      return await work({ socket, reader: site.upstream.reader, status: site.status() });
    } finally {
      this.#lent = false;
      socket.on('data', site.listener);
      socket.resume();
    }
  }

  /** Every reply is in, or the session ended: loans waiting for that look again. */
  wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
