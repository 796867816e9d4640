/**
 * @module Signals: SIGTERM/SIGINT stop gracefully within a bound, a second one exits at once; SIGHUP reopens log files.
 *
 * The handlers are installed before a server starts, not once it runs: Node only catches a signal that has a
 * listener, so a SIGTERM arriving between "listening" and the handlers would otherwise kill the process at
 * once. A signal that arrives while the server is still starting stops it as soon as it has started.
 */
import type { Logger } from './log.js';

export interface SignalHandlers {
  /** Resolves with the exit code once the service has stopped after a signal. */
  readonly stopped: Promise<number>;
  /** The service is running: a signal now stops it (one that came during start-up stops it at once). */
  running(stop: () => Promise<void>): void;
  /** Start-up failed: the handlers are removed, the default actions are back. */
  remove(): void;
}

export function installSignalHandlers(opts: { log: Logger; timeoutMs: number }): SignalHandlers {
  const { log } = opts;
  let stop: (() => Promise<void>) | undefined;
  let signalled: NodeJS.Signals | undefined;
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (resolveStopped = resolve));

  const begin = (signal: NodeJS.Signals, run: () => Promise<void>): void => {
    log.info('received signal; stopping', { signal });
    const timer = setTimeout(() => {
      log.error('graceful stop took too long; exiting', { timeoutMs: opts.timeoutMs });
      process.exit(1);
    }, opts.timeoutMs);
    timer.unref();
    run().then(
      () => {
        clearTimeout(timer);
        remove();
        resolveStopped(0);
      },
      (err: unknown) => {
        log.error('error while stopping', { err });
        clearTimeout(timer);
        remove();
        resolveStopped(1);
      },
    );
  };
  const onStop = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    signalled = signal;
    if (stop) begin(signal, stop);
    else log.info('received signal while starting; stopping once started', { signal });
  };
  const onHup = (): void => {
    log.reopen();
    log.info('log file reopened');
  };
  const remove = (): void => {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  return {
    stopped,
    running: (fn) => {
      stop = fn;
      if (signalled) begin(signalled, fn);
    },
    remove,
  };
}
