/**
 * @module Remote calendars as an aggregator's upstream: each tick's merkle root is submitted to every
 * calendar at once as a digest, and their answers are joined into one timestamp from the root (a fork when
 * several answer), which every waiting client gets after its own path.
 */
import { Timestamp } from '../ots/index.js';
import type { Upstream } from './aggregator.js';
import { BodyTooLongError, readAtMost } from '../net/bounded-body.js';
import { linkedAbort } from '../net/linked-abort.js';

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
  /**
   * Longest joined answer (bytes) and deepest branch (ops) a tick may carry, so that with the client's own
   * path in front the proof stays within what clients read (10,000 bytes) and nest (python: 256). The
   * aggregator's paths are at most a few hundred bytes and 2 + 2·log2(batch) ops deep.
   */
  maxSuffixBytes?: number;
  maxSuffixDepth?: number;
  /** While a calendar fails, how often it is asked whether it is back (GET /), so readiness recovers without traffic. */
  probeIntervalMs?: number;
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
  readonly #maxSuffixBytes: number;
  readonly #maxSuffixDepth: number;
  /** Aborted on close: every request in flight is linked to it (see #request). */
  readonly #closing = new AbortController();
  readonly #probe: NodeJS.Timeout | undefined;

  constructor(opts: RemoteCalendarsOptions) {
    if (opts.urls.length === 0) throw new RangeError('"urls" expected at least one calendar');
    this.#urls = opts.urls.map((u) => u.replace(/\/+$/, ''));
    const twice = this.#urls.find((u, i) => this.#urls.indexOf(u) !== i);
    // the same calendar twice would count twice toward `required`
    if (twice !== undefined) throw new RangeError(`"urls" names ${twice} more than once`);
    this.#required = opts.required ?? 1;
    if (!(Number.isInteger(this.#required) && this.#required >= 1 && this.#required <= this.#urls.length)) {
      throw new RangeError(`"required" expected 1..${this.#urls.length}, got ${this.#required}`);
    }
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#stragglerMs = opts.stragglerMs ?? 1_000;
    this.#userAgent = opts.userAgent ?? 'ots-calendar';
    this.#onFailure = opts.onFailure;
    this.#health = this.#urls.map((url) => ({ url, acknowledged: 0, failures: 0, consecutiveFailures: 0, lastAcknowledgedAt: undefined, lastError: undefined }));
    this.#maxSuffixBytes = opts.maxSuffixBytes ?? MAX_ANSWER_BYTES - 1_000;
    this.#maxSuffixDepth = opts.maxSuffixDepth ?? 200;
    const every = opts.probeIntervalMs ?? 5_000;
    this.#probe = every > 0 ? setInterval(() => void this.#probeFailing(), every).unref() : undefined;
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

  /** Stops probing and aborts the requests still waiting (a hung calendar's, after its tick was answered without it). */
  close(): void {
    if (this.#probe) clearInterval(this.#probe);
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
        // smallest answers first, as many as fit the budget: one oversized answer cannot spoil the others. Joined,
        // the branches take at most their own bytes plus a fork marker each (python's 0xff before all but one).
        const joined = new Timestamp(root);
        let used = 0;
        let bytes = 0;
        const sized = answers.flatMap((t, i) => (t ? [{ t, i, size: t.toBytes().length }] : [])).sort((a, b) => a.size - b.size);
        for (const { t, i, size } of sized) {
          if (bytes + size + (used > 0 ? 1 : 0) > this.#maxSuffixBytes) {
            failures.push(this.#failed(i, new CalendarAnswerError(this.#urls[i] as string, `answer does not fit beside the others (${size} bytes)`)));
            continue;
          }
          joined.merge(t);
          bytes += size + (used > 0 ? 1 : 0);
          used++;
        }
        if (used < this.#required) {
          reject(new UpstreamsFailedError(used, this.#required, failures));
          return;
        }
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
            failures.push(this.#failed(i, err instanceof CalendarAnswerError ? err : new CalendarAnswerError(url, describe(err))));
          },
        ).finally(() => {
          settled++;
          if (settled === this.#urls.length) finish();
          else if (answered >= this.#required && !straggler && !done) straggler = setTimeout(finish, this.#stragglerMs);
        });
      });
    });
  }

  /** Records a calendar's failure (health, callback) and returns the error. */
  #failed(i: number, e: CalendarAnswerError): CalendarAnswerError {
    const h = this.#health[i] as CalendarHealth;
    h.failures++;
    h.consecutiveFailures++;
    h.lastError = e.reason;
    try {
      this.#onFailure?.(e);
    } catch {
      // the owner's logging failed; the tick goes on
    }
    return e;
  }

  /** One request whose deadline (and close()) also covers reading its body in `read`. */
  async #request<T>(url: string, init: RequestInit, read: (res: Response) => Promise<T>): Promise<T> {
    if (this.#closing.signal.aborted) throw new CalendarAnswerError(url, 'shutting down');
    const request = linkedAbort(this.#closing.signal, this.#timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { ...init, signal: request.signal, redirect: 'error' });
      } catch (err) {
        throw new CalendarAnswerError(url, describe(err));
      }
      return await read(res);
    } finally {
      request.dispose();
    }
  }

  #submit(url: string, root: Uint8Array): Promise<Timestamp> {
    const init: RequestInit = {
      method: 'POST',
      body: root,
      headers: {
        // what the JS client sends (no CORS preflight); calendars ignore the content type
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/vnd.opentimestamps.v1',
        'user-agent': this.#userAgent,
      },
    };
    return this.#request(`${url}/digest`, init, async (res) => {
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new CalendarAnswerError(url, `HTTP ${res.status}`);
      }
      let body: Uint8Array;
      try {
        body = await readAtMost(res, MAX_ANSWER_BYTES);
      } catch (err) {
        throw new CalendarAnswerError(url, err instanceof BodyTooLongError ? `answer longer than ${MAX_ANSWER_BYTES} bytes` : describe(err));
      }
      let t: Timestamp;
      try {
        t = Timestamp.fromBytes(body, root);
      } catch (err) {
        throw new CalendarAnswerError(url, `answer is not a timestamp: ${describe(err)}`);
      }
      if (t.allAttestations().length === 0) throw new CalendarAnswerError(url, 'answer ends in no attestation');
      const depth = depthOf(t);
      if (depth > this.#maxSuffixDepth) throw new CalendarAnswerError(url, `answer nests ${depth} ops deep, more than ${this.#maxSuffixDepth}`);
      return t;
    });
  }

  /** Asks each failing calendar whether it answers at all (GET /, anything but a 5xx); one that does counts as reachable again. */
  async #probeFailing(): Promise<void> {
    await Promise.all(
      this.#health.map(async (h) => {
        if (h.consecutiveFailures === 0 || this.#closing.signal.aborted) return;
        try {
          const ok = await this.#request(`${h.url}/`, { headers: { 'user-agent': this.#userAgent } }, async (res) => {
            await res.body?.cancel().catch(() => undefined);
            return res.status < 500;
          });
          if (ok && h.consecutiveFailures > 0) {
            h.consecutiveFailures = 0;
            h.lastError = undefined;
          }
        } catch {
          // still away
        }
      }),
    );
  }
}

/** Ops on the longest branch of a timestamp tree. */
function depthOf(t: Timestamp): number {
  let deepest = 0;
  const stack: Array<{ node: Timestamp; depth: number }> = [{ node: t, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    deepest = Math.max(deepest, top.depth);
    for (const { child } of top.node.ops.values()) stack.push({ node: child, depth: top.depth + 1 });
  }
  return deepest;
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
