/**
 * While the relay waits for a decision, what it already forwarded stays corked, so that a decision
 * made within a few event-loop turns (the usual: the audit commit) sends it and the decided message
 * in one write — one system call and one wake-up of the server, where a Parse then Bind took two. A
 * slower decision (an impact estimate, a review) lets the held bytes go after HOLD_MS, and a loan of
 * the session (Parapet's own SQL on it) releases them at once.
 */
import type { Socket } from 'node:net';

/** How long messages already forwarded wait, corked, behind a decision on the next one. */
const HOLD_MS = 1;

export class CorkedHold {
  readonly #socket: Socket;
  /** Sends the bytes held behind the pending decision. */
  #release: (() => void) | undefined;

  /** `socket` is corked by the caller while it forwards messages. */
  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Waits for `work` (a decision) with the corked bytes held; the socket is corked again after. */
  async during(work: Promise<void>): Promise<void> {
    const socket = this.#socket;
    let held = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const release = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.#release = undefined;
      socket.uncork();
    };
    if (socket.writableLength > 0) timer = setTimeout(release, HOLD_MS);
    this.#release = release;
    try {
      await work;
    } finally {
      if (held) {
        held = false;
        clearTimeout(timer);
        this.#release = undefined;
      } else {
        socket.cork();
      }
    }
  }

  /** Sends the held bytes now, if any are held. */
  release(): void {
    this.#release?.();
  }
}
