/**
 * How `parapet serve` answers signals. SIGHUP reloads the policy and secrets (a bad file is
 * rejected, logged with its located errors, and the running policy stays). SIGTERM or SIGINT
 * stops gracefully: no new connections, idle sessions closed, running statements given up to the
 * shutdown timeout, the audit flushed; a second SIGTERM or SIGINT stops waiting.
 */
import type { ProxyLog } from './ports.js';
import type { RunningProxy } from './start.js';

export interface SignalOptions {
  log: ProxyLog;
  /** How long running statements may take to finish after SIGTERM. */
  graceMs: number;
}

/** Resolves once the proxy has stopped after SIGTERM or SIGINT. */
export function serveUntilStopped(running: RunningProxy, options: SignalOptions): Promise<void> {
  const { log } = options;
  return new Promise((resolve) => {
    let stopping = false;
    const reload = (): void => {
      log.info('SIGHUP: reloading the policy and secrets');
      running.reload();
    };
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.info(`${signal} again: closing the remaining sessions now`);
        running.operations.lifecycle.cutDrain();
        return;
      }
      stopping = true;
      log.info(`${signal}: shutting down (running statements get up to ${Math.round(options.graceMs / 1000)} s)`);
      running.stop({ graceMs: options.graceMs }).then(
        () => {
          process.off('SIGHUP', reload);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          log.info('stopped; the audit trail is flushed');
          resolve();
        },
        (error: unknown) => {
          log.error(`shutdown: ${(error as Error).message}`);
          resolve();
        },
      );
    };
    process.on('SIGHUP', reload);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
