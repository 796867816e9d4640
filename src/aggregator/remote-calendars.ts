/**
 * @module Remote calendars as an aggregator's upstream: each tick's merkle root is submitted to every
 * calendar at once as a digest, and their answers are joined into one timestamp from the root (a fork when
 * several answer), which every waiting client gets after its own path.
 */
import { Timestamp } from '../ots/index.js';
import type { Upstream } from './aggregator.js';

/** Clients read at most this much of a calendar's answer (python-opentimestamps and the JS client). */
export const MAX_ANSWER_BYTES = 10_000;

/** One calendar did not give a usable answer for a root. */
export class CalendarAnswerError extends Error {
  readonly code = 'calendar-answer';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${url}: ${reason}`);
    this.name = 'CalendarAnswerError';
  }
}

/** Fewer calendars than required acknowledged a root: none of its digests is acknowledged. */
export class UpstreamsFailedError extends Error {
  readonly code = 'upstreams-failed';
  constructor(
    readonly answered: number,
    readonly required: number,
    readonly failures: readonly CalendarAnswerError[],
  ) {
    super(`${answered} of the required ${required} calendars acknowledged the tick: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'UpstreamsFailedError';
  }
}

export interface CalendarHealth {
  url: string;
  acknowledged: number;
  failures: number;
  consecutiveFailures: number;
  /** ms since the epoch */
  lastAcknowledgedAt: number | undefined;
  lastError: string | undefined;
}

export interface RemoteCalendarsOptions {
  /** Base URLs of the calendars (`https://calendar.example.org`), each answering POST /digest. */
  urls: readonly string[];
  /** Calendars that must acknowledge a root before its digests are answered (default 1). */
  required?: number;
  /** Longest wait for one calendar's answer (default 10 s). */
  timeoutMs?: number;
  /**
   * Once `required` calendars answered, how much longer the others are waited for (default 1 s): a slow or
   * hung calendar then costs each tick this much, not its whole timeout.
   */
  stragglerMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
  onFailure?: (err: CalendarAnswerError) => void;
}

/**
 * Contract (Upstream): `commit` resolves only once at least `required` calendars answered 200 with a timestamp
 * that parses from the root and ends in an attestation — each of them has made the root durable (for this
 * server's calendars: fsynced). Calendars that answer later than the straggler window are left out of that
 * tick's answer; nothing is retried, since the clients' digests are not acknowledged on failure.
 */
export class RemoteCalendars implements Upstream {
  readonly #urls: readonly string[];
  readonly #required: number;
  readonly #timeoutMs: number;
  readonly #stragglerMs: number;
  readonly #userAgent: string;
  readonly #onFailure: RemoteCalendarsOptions['onFailure'];
  readonly #health: CalendarHealth[];
  /** Aborts every submission still waiting when the aggregator stops. */
  readonly #closing = new AbortController();

  constructor(opts: RemoteCalendarsOptions) {
    if (opts.urls.length === 0) throw new RangeError('"urls" expected at least one calendar');
    this.#urls = opts.urls.map((u) => u.replace(/\/+$/, ''));
    this.#required = opts.required ?? 1;
    if (!(Number.isInteger(this.#required) && this.#required >= 1 && this.#required <= this.#urls.length)) {
      throw new RangeError(`"required" expected 1..${this.#urls.length}, got ${this.#required}`);
    }
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#stragglerMs = opts.stragglerMs ?? 1_000;
    this.#userAgent = opts.userAgent ?? 'ots-calendar';
    this.#onFailure = opts.onFailure;
    this.#health = this.#urls.map((url) => ({ url, acknowledged: 0, failures: 0, consecutiveFailures: 0, lastAcknowledgedAt: undefined, lastError: undefined }));
  }

  get urls(): readonly string[] {
    return this.#urls;
  }

  get required(): number {
    return this.#required;
  }

  health(): readonly CalendarHealth[] {
    return this.#health;
  }

  /** Aborts the submissions still waiting (a hung calendar's, after its tick was answered without it). */
  close(): void {
    this.#closing.abort();
  }

  /** Calendars whose last submission was acknowledged (all of them before the first tick). */
  reachable(): number {
    return this.#health.filter((h) => h.consecutiveFailures === 0).length;
  }

  commit(root: Uint8Array): Promise<{ suffix: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const answers: Array<Timestamp | undefined> = new Array(this.#urls.length);
      const failures: CalendarAnswerError[] = [];
      let settled = 0;
      let answered = 0;
      let done = false;
      let straggler: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (straggler) clearTimeout(straggler);
        if (answered < this.#required) {
          reject(new UpstreamsFailedError(answered, this.#required, failures));
          return;
        }
        const joined = new Timestamp(root);
        for (const t of answers) if (t) joined.merge(t);
        resolve({ suffix: joined.toBytes() });
      };
      this.#urls.forEach((url, i) => {
        this.#submit(url, root).then(
          (t) => {
            const h = this.#health[i] as CalendarHealth;
            h.acknowledged++;
            h.consecutiveFailures = 0;
            h.lastAcknowledgedAt = Date.now();
            if (done) return; // came after the straggler window: this tick's answer is already out
            answers[i] = t;
            answered++;
          },
          (err: unknown) => {
            const e = err instanceof CalendarAnswerError ? err : new CalendarAnswerError(url, describe(err));
            const h = this.#health[i] as CalendarHealth;
            h.failures++;
            h.consecutiveFailures++;
            h.lastError = e.reason;
            failures.push(e);
            this.#onFailure?.(e);
          },
        ).finally(() => {
          settled++;
          if (settled === this.#urls.length) finish();
          else if (answered >= this.#required && !straggler && !done) straggler = setTimeout(finish, this.#stragglerMs);
        });
      });
    });
  }

  async #submit(url: string, root: Uint8Array): Promise<Timestamp> {
    let res: Response;
    try {
      res = await fetch(`${url}/digest`, {
        method: 'POST',
        body: root,
        headers: {
          // what the JS client sends (no CORS preflight); calendars ignore the content type
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/vnd.opentimestamps.v1',
          'user-agent': this.#userAgent,
        },
        signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#closing.signal]),
        redirect: 'error',
      });
    } catch (err) {
      throw new CalendarAnswerError(url, describe(err));
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new CalendarAnswerError(url, `HTTP ${res.status}`);
    }
    const body = await readAtMost(res, MAX_ANSWER_BYTES, url);
    let t: Timestamp;
    try {
      t = Timestamp.fromBytes(body, root);
    } catch (err) {
      throw new CalendarAnswerError(url, `answer is not a timestamp: ${describe(err)}`);
    }
    if (t.allAttestations().length === 0) throw new CalendarAnswerError(url, 'answer ends in no attestation');
    return t;
  }
}

/** The body, refusing one over `max` bytes (a calendar answer is a few hundred). */
async function readAtMost(res: Response, max: number, url: string): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw new CalendarAnswerError(url, `answer longer than ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof CalendarAnswerError) throw err;
    throw new CalendarAnswerError(url, describe(err));
  }
  return Buffer.concat(chunks, total);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'no answer in time';
    const cause = (err as Error & { cause?: unknown }).cause;
    const code = cause instanceof Error ? ((cause as Error & { code?: unknown }).code ?? cause.message) : undefined;
    return code ? `${err.message} (${String(code)})` : err.message;
  }
  return String(err);
}
