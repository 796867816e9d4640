/**
 * @module A client of one calendar's donation API (src/anchor/donation-protocol.ts) on the shared HTTP client: what it wants a transaction for (`GET /donate`), and posting one (`POST /donate`) — every answer bounded and checked, described without credentials.
 */
import { DONATE_PATH, DonationProtocolError, MAX_DONATION_ANSWER_BYTES, parseDonationAnswer, parseDonationOffer, type DonationAnswer, type DonationOffer } from '../anchor/donation-protocol.js';
import { CalendarAnswerError } from '../net/calendar-client.js';
import { BodyTooLongError } from '../net/bounded-body.js';
import { HttpClient, RequestFailedError, describeError, transientStatus, type FetchFn, type HttpAnswer } from '../net/http-client.js';

export interface OfferClientOptions {
  fetch?: FetchFn;
  userAgent: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Safe for concurrent use. Resolves with a checked answer or rejects with a CalendarAnswerError whose `problem`
 * says what to do: `unreachable` (ask again later: network, deadline, 429, 5xx), `refused` (this calendar takes no
 * donations: 404, or another status), `invalid` (an answer that breaks the protocol). Nothing is retried inside:
 * posting twice is harmless (the calendar answers `already-accepted`), but when to is the caller's decision.
 */
export class OfferClient {
  /** Base URL as shown in errors, logs and pages (no credentials, no trailing slash). */
  readonly url: string;
  readonly #base: string;
  readonly #http: HttpClient;

  constructor(url: string, o: OfferClientOptions) {
    this.#base = url.replace(/\/+$/, '');
    this.url = HttpClient.shown(this.#base);
    this.#http = new HttpClient({
      userAgent: o.userAgent,
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  async #ask<T>(spec: { method: 'GET' | 'POST'; body?: Uint8Array }, use: (a: HttpAnswer) => Promise<T>): Promise<T> {
    const headers: Record<string, string> = spec.method === 'POST' ? { accept: 'application/json', 'content-type': 'application/octet-stream' } : { accept: 'application/json' };
    try {
      return await this.#http.request(`${this.#base}${DONATE_PATH}`, { method: spec.method, headers, ...(spec.body ? { body: spec.body } : {}) }, use);
    } catch (err) {
      if (err instanceof CalendarAnswerError) throw err;
      if (err instanceof RequestFailedError) throw new CalendarAnswerError(this.url, err.reason, 'unreachable', { cause: err });
      if (err instanceof BodyTooLongError) throw new CalendarAnswerError(this.url, `answer longer than ${err.max} bytes`, 'invalid', { cause: err });
      if (err instanceof DonationProtocolError || err instanceof SyntaxError) throw new CalendarAnswerError(this.url, err.message, 'invalid', { cause: err });
      throw new CalendarAnswerError(this.url, describeError(err), 'invalid', { cause: err });
    }
  }

  async #json(a: HttpAnswer): Promise<unknown> {
    return JSON.parse(await a.text(MAX_DONATION_ANSWER_BYTES)) as unknown;
  }

  async #unexpected(a: HttpAnswer): Promise<never> {
    await a.discard();
    if (a.status === 404) throw new CalendarAnswerError(this.url, 'it takes no donated transactions (404)', 'refused');
    throw new CalendarAnswerError(this.url, `HTTP ${a.status}`, transientStatus(a.status) ? 'unreachable' : 'refused');
  }

  /** GET /donate: the tip wanted now (or none), since when, the fee rates, the tips covered, the rules. */
  offer(): Promise<DonationOffer> {
    return this.#ask({ method: 'GET' }, async (a) => (a.status === 200 ? parseDonationOffer(await this.#json(a)) : this.#unexpected(a)));
  }

  /** POST /donate: taken (200) or refused with its code and reason (400). */
  donate(raw: Uint8Array): Promise<DonationAnswer> {
    return this.#ask({ method: 'POST', body: raw }, async (a) => {
      if (a.status !== 200 && a.status !== 400) return this.#unexpected(a);
      const answer = parseDonationAnswer(await this.#json(a));
      if (answer.accepted !== (a.status === 200)) throw new CalendarAnswerError(this.url, `HTTP ${a.status} with accepted ${String(answer.accepted)}`);
      return answer;
    });
  }
}
