/** @module Progress lines for long work (reindex, catch-up): at most one line every two seconds, and the last. */
import type { Logger } from './log.js';

export function progressReporter(log: Logger, what: string): (done: number, total: number) => void {
  let last = 0;
  const started = Date.now();
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 2000) return;
    last = now;
    const pct = total > 0 ? Math.floor((done / total) * 1000) / 10 : 100;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    log.info(what, { done, total, percent: pct, perSecond: Math.round(rate) });
  };
}
