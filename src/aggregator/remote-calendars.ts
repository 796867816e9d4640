/**
 * @module Remote calendars as an aggregator's upstream: each tick's merkle root is submitted to every
 * calendar at once as a digest, and their answers are joined into one timestamp from the root (a fork when
 * several answer), which every waiting client gets after its own path.
 */
import { Timestamp } from '../ots/index.js';
import type { Upstream } from './aggregator.js';
import { CalendarAnswerError, CalendarClient, MAX_ANSWER_BYTES } from '../net/calendar-client.js';
import { HttpClient, describeError, type FetchFn } from '../net/http-client.js';

export { CalendarAnswerError, MAX_ANSWER_BYTES };

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
  /**
   * What the calendar is: the URI it states in its answers' pending attestations (where clients upgrade from),
   * once it answered. Two addresses of one calendar state the same, and count once toward `required`.
   */
  statedUri: string | undefined;
  acknowledged: number;
  failures: number;
  consecutiveFailures: number;
  /** ms since the epoch */
  lastAcknowledgedAt: number | undefined;
  lastError: string | undefined;
}

export interface RemoteCalendarsOptions {
  /** Base URLs of the calendars (`https://calendar.example.org`), each answering POST /digest; userinfo is sent as Basic authorization and never shown. */
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
  /** Default: the global fetch. */
  fetch?: FetchFn;
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

/** The calendar an answer comes from, as it states it: the URIs of its pending attestations (undefined: none). */
function statedUri(t: Timestamp): string | undefined {
  const uris = new Set<string>();
  for (const { attestation } of t.allAttestations()) if (attestation.kind === 'pending') uris.add(attestation.uri);
  return uris.size === 0 ? undefined : [...uris].sort().join(' ');
}

/**
 * Contract (Upstream): `commit` resolves only once at least `required` distinct calendars answered 200 with a
 * timestamp that parses from the root and ends in an attestation — each of them has made the root durable (for
 * this server's calendars: fsynced). Calendars are told apart by the URI their answers state, not by the
 * address they were given under: one calendar given twice (`127.0.0.1` and `localhost`) counts once, and its
 * second answer is left out. Calendars that answer later than the straggler window are left out of that
 * tick's answer; nothing is retried, since the clients' digests are not acknowledged on failure.
 */
export class RemoteCalendars implements Upstream {
  readonly #urls: readonly string[];
  readonly #clients: readonly CalendarClient[];
  readonly #required: number;
  readonly #stragglerMs: number;
  readonly #onFailure: RemoteCalendarsOptions['onFailure'];
  readonly #health: CalendarHealth[];
  readonly #maxSuffixBytes: number;
  readonly #maxSuffixDepth: number;
  /** Aborted on close: every request in flight is linked to it (the clients' owner signal). */
  readonly #closing = new AbortController();
  readonly #probe: NodeJS.Timeout | undefined;

  constructor(opts: RemoteCalendarsOptions) {
    if (opts.urls.length === 0) throw new RangeError('"urls" expected at least one calendar');
    const given = opts.urls.map((u) => u.replace(/\/+$/, ''));
    // the same address twice is a slip in the configuration; other spellings of one calendar are found by its answers
    const twice = given.find((u, i) => given.indexOf(u) !== i);
    if (twice !== undefined) throw new RangeError(`"urls" names ${HttpClient.shown(twice)} more than once`);
    this.#required = opts.required ?? 1;
    if (!(Number.isInteger(this.#required) && this.#required >= 1 && this.#required <= given.length)) {
      throw new RangeError(`"required" expected 1..${given.length}, got ${this.#required}`);
    }
    this.#clients = given.map(
      (url) =>
        new CalendarClient(url, {
          timeoutMs: opts.timeoutMs ?? 10_000,
          userAgent: opts.userAgent ?? 'ots-calendar',
          signal: this.#closing.signal,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        }),
    );
    // as shown in errors, logs and the status page: without credentials
    this.#urls = this.#clients.map((c) => c.url);
    this.#stragglerMs = opts.stragglerMs ?? 1_000;
    this.#onFailure = opts.onFailure;
    this.#health = this.#clients.map(({ url }) => ({ url, statedUri: undefined, acknowledged: 0, failures: 0, consecutiveFailures: 0, lastAcknowledgedAt: undefined, lastError: undefined }));
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

  /** Distinct calendars whose last submission was acknowledged (all of them before the first tick). */
  reachable(): number {
    return new Set(this.#health.filter((h) => h.consecutiveFailures === 0).map((h) => h.statedUri ?? h.url)).size;
  }

  commit(root: Uint8Array): Promise<{ suffix: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const answers: Array<{ t: Timestamp; identity: string } | undefined> = new Array(this.#urls.length);
      const failures: CalendarAnswerError[] = [];
      const identities = new Set<string>();
      let settled = 0;
      let done = false;
      let straggler: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (straggler) clearTimeout(straggler);
        // smallest answers first, as many as fit the budget: one oversized answer cannot spoil the others. Joined,
        // the branches take at most their own bytes plus a fork marker each (python's 0xff before all but one).
        const joined = new Timestamp(root);
        const used = new Map<string, number>();
        let bytes = 0;
        const sized = answers.flatMap((a, i) => (a ? [{ ...a, i, size: a.t.toBytes().length }] : [])).sort((a, b) => a.size - b.size || a.i - b.i);
        for (const { t, identity, i, size } of sized) {
          const first = used.get(identity);
          if (first !== undefined) {
            const reason = `the same calendar as ${this.#urls[first] as string} (both state ${identity}): it counts once`;
            failures.push(this.#failed(i, new CalendarAnswerError(this.#urls[i] as string, reason)));
            continue;
          }
          if (bytes + size + (used.size > 0 ? 1 : 0) > this.#maxSuffixBytes) {
            failures.push(this.#failed(i, new CalendarAnswerError(this.#urls[i] as string, `answer does not fit beside the others (${size} bytes)`)));
            continue;
          }
          joined.merge(t);
          bytes += size + (used.size > 0 ? 1 : 0);
          used.set(identity, i);
        }
        if (used.size < this.#required) {
          reject(new UpstreamsFailedError(used.size, this.#required, failures));
          return;
        }
        resolve({ suffix: joined.toBytes() });
      };
      this.#clients.forEach((client, i) => {
        this.#submit(client, root).then(
          (t) => {
            const h = this.#health[i] as CalendarHealth;
            h.acknowledged++;
            h.consecutiveFailures = 0;
            h.lastAcknowledgedAt = Date.now();
            h.statedUri = statedUri(t);
            if (done) return; // came after the straggler window: this tick's answer is already out
            const identity = h.statedUri ?? client.url;
            answers[i] = { t, identity };
            identities.add(identity);
          },
          (err: unknown) => {
            failures.push(this.#failed(i, err instanceof CalendarAnswerError ? err : new CalendarAnswerError(client.url, describeError(err))));
          },
        ).finally(() => {
          settled++;
          if (settled === this.#urls.length) finish();
          else if (identities.size >= this.#required && !straggler && !done) straggler = setTimeout(finish, this.#stragglerMs);
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

  /** The calendar's answer for the root, checked (CalendarClient.submit) and no deeper than the budget. */
  async #submit(client: CalendarClient, root: Uint8Array): Promise<Timestamp> {
    const { timestamp } = await client.submit(root);
    const depth = treeDepth(timestamp);
    if (depth > this.#maxSuffixDepth) throw new CalendarAnswerError(client.url, `answer nests ${depth} ops deep, more than ${this.#maxSuffixDepth}`);
    return timestamp;
  }

  /** Asks each failing calendar whether it answers at all (GET /, anything but a 5xx); one that does counts as reachable again. */
  async #probeFailing(): Promise<void> {
    await Promise.all(
      this.#health.map(async (h, i) => {
        if (h.consecutiveFailures === 0 || this.#closing.signal.aborted) return;
        if ((await (this.#clients[i] as CalendarClient).answers()) && h.consecutiveFailures > 0) {
          h.consecutiveFailures = 0;
          h.lastError = undefined;
        }
      }),
    );
  }
}

/** Ops on the longest branch of a timestamp tree. */
function treeDepth(t: Timestamp): number {
  let deepest = 0;
  const stack: Array<{ node: Timestamp; depth: number }> = [{ node: t, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    deepest = Math.max(deepest, top.depth);
    for (const { child } of top.node.ops.values()) stack.push({ node: child, depth: top.depth + 1 });
  }
  return deepest;
}
