/** @module Signals: SIGTERM/SIGINT stop gracefully within a bound, a second one exits at once; SIGHUP reopens log files. */
import type { Logger } from './log.js';

/**
 * Resolves with the exit code once the service has stopped. A second SIGTERM/SIGINT exits immediately:
 * that is safe because nothing is acknowledged before it is durable, and the journal cuts a torn tail on open.
 */
export function installSignalHandlers(opts: { log: Logger; stop: () => Promise<void>; timeoutMs: number }): Promise<number> {
  const { log } = opts;
  return new Promise((resolve) => {
    let signalled = false;
    const onStop = (signal: NodeJS.Signals): void => {
      if (signalled) {
        log.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      signalled = true;
      log.info('received signal; stopping', { signal });
      const timer = setTimeout(() => {
        log.error('graceful stop took too long; exiting', { timeoutMs: opts.timeoutMs });
        process.exit(1);
      }, opts.timeoutMs);
      timer.unref();
      opts.stop().then(
        () => {
          clearTimeout(timer);
          process.off('SIGHUP', onHup);
          resolve(0);
        },
        (err: unknown) => {
          log.error('error while stopping', { err });
          clearTimeout(timer);
          resolve(1);
        },
      );
    };
    const onHup = (): void => {
      log.reopen();
      log.info('log file reopened');
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}
