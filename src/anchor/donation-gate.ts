/**
 * @module How many posted transactions a calendar looks at: a token bucket (so many per second, a burst of so many) and a bound on those being checked at once (each asks the node), so a flood of posts costs the node a bounded number of calls and never holds up anchoring.
 *
 * The bucket is the calendar's, not a client's: behind a proxy every client has the same address, and a donor
 * that is refused simply posts again later (a tip stays taken for the whole of its round).
 */
import { DonationPushbackError } from './errors.js';

export interface DonationGateOptions {
  /** Posts taken per second, on average. */
  perSecond: number;
  /** Posts taken at once after a quiet while. */
  burst: number;
  /** Posts being checked at the same time at most. */
  concurrent: number;
  /** Unix ms; injectable for tests. */
  now?: () => number;
}

export const DONATION_GATE_DEFAULTS: Readonly<Omit<DonationGateOptions, 'now'>> = Object.freeze({ perSecond: 2, burst: 10, concurrent: 4 });

/** Owned by the event loop: `enter` and `leave` are synchronous. */
export class DonationGate {
  readonly #o: DonationGateOptions;
  readonly #now: () => number;
  #tokens: number;
  #filledAt: number;
  #inFlight = 0;

  constructor(o: Partial<DonationGateOptions> = {}) {
    this.#o = { ...DONATION_GATE_DEFAULTS, ...o };
    this.#now = o.now ?? Date.now;
    this.#tokens = this.#o.burst;
    this.#filledAt = this.#now();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a token and a place, or throws {@link DonationPushbackError} (`rate`, then `busy`). Pair with {@link leave}. */
  enter(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#o.burst, this.#tokens + ((now - this.#filledAt) / 1000) * this.#o.perSecond);
    this.#filledAt = now;
    if (this.#tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - this.#tokens) / this.#o.perSecond));
      throw new DonationPushbackError('rate', wait, `more transactions posted than this calendar looks at (${this.#o.perSecond} a second); post it again in ${wait} s`);
    }
    if (this.#inFlight >= this.#o.concurrent) throw new DonationPushbackError('busy', 1, `${this.#inFlight} transactions are being checked; post it again in a second`);
    this.#tokens -= 1;
    this.#inFlight++;
  }

  leave(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}
