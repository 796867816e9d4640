/** @module The client side of mirroring: keep local mirrors of a few calendars and upgrade `.ots` files from them without contacting the calendars. */
import { join } from 'node:path';
import type { Answer } from '../calendar/calendar.js';
import { DetachedTimestampFile, type Timestamp } from '../ots/index.js';
import type { AttestationChecker } from './attestation-check.js';
import { CalendarMirror } from './calendar-mirror.js';
import type { FollowerProgress } from './follower.js';
import type { FetchFn } from '../net/http-client.js';
import { upgradeTimestamp, type UpgradeReport } from './upgrade.js';
import type { Log } from '../log/log.js';

export interface LocalMirrorsOptions {
  /** One sub-directory per calendar is kept here. */
  dir: string;
  /** Calendar URIs, as their pending attestations name them (e.g. `https://alice.btc.calendar.opentimestamps.org`). */
  calendars: readonly string[];
  fetch?: FetchFn;
  userAgent?: string;
  /** Checks every anchor's attestation against a node before storing it. */
  attestations?: AttestationChecker;
  log?: Log;
}

export interface SyncResult {
  calendar: string;
  /** Set when the calendar answered and its journal verified. */
  progress?: FollowerProgress;
  /** Why it could not be synced now (offline, or it served something that does not verify). */
  error?: Error;
}

/** Calendars are compared without a trailing slash, as the clients join paths onto them. */
function normalize(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/** A directory name for a calendar URI: readable, and distinct for distinct URIs. */
export function mirrorDirName(uri: string): string {
  return normalize(uri)
    .replace(/^https?:\/\//, (m) => (m === 'https://' ? '' : 'http_'))
    .replace(/[^A-Za-z0-9.-]/g, '_');
}

/**
 * Usage: `const m = await LocalMirrors.open({ dir, calendars })`, then `await m.sync()` whenever online, and
 * `m.upgradeFile(bytes)` any time, online or not. Each calendar's mirror verifies everything it stores.
 */
export class LocalMirrors {
  readonly #mirrors: Map<string, CalendarMirror>;

  private constructor(mirrors: Map<string, CalendarMirror>) {
    this.#mirrors = mirrors;
  }

  /**
   * Opens (creating) a mirror per calendar. Creating one needs its calendar online once (to learn its segment
   * size); an existing one opens offline.
   */
  static async open(opts: LocalMirrorsOptions): Promise<LocalMirrors> {
    const mirrors = new Map<string, CalendarMirror>();
    try {
      for (const uri of opts.calendars) {
        const key = normalize(uri);
        if (mirrors.has(key)) continue;
        mirrors.set(
          key,
          await CalendarMirror.open({
            dir: join(opts.dir, mirrorDirName(key)),
            upstream: key,
            ...(opts.fetch ? { fetch: opts.fetch } : {}),
            ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
            ...(opts.attestations ? { attestations: opts.attestations } : {}),
            ...(opts.log ? { log: opts.log } : {}),
          }),
        );
      }
    } catch (err) {
      for (const m of mirrors.values()) await m.close();
      throw err;
    }
    return new LocalMirrors(mirrors);
  }

  get calendars(): string[] {
    return [...this.#mirrors.keys()];
  }

  mirror(uri: string): CalendarMirror | undefined {
    return this.#mirrors.get(normalize(uri));
  }

  /** Catches every mirror up with its calendar as it is now; a calendar that fails does not stop the others. */
  async sync(signal?: AbortSignal): Promise<SyncResult[]> {
    return Promise.all(
      [...this.#mirrors].map(async ([calendar, m]): Promise<SyncResult> => {
        try {
          return { calendar, progress: await m.follower.catchUp(signal) };
        } catch (err) {
          return { calendar, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
  }

  /** Follows every calendar in the background until `close()`. */
  follow(): void {
    for (const m of this.#mirrors.values()) m.follower.start();
  }

  /** Where `commitment` stands on calendar `uri` per its local mirror; undefined when `uri` is not mirrored. */
  answer(uri: string, commitment: Uint8Array): Answer | undefined {
    return this.#mirrors.get(normalize(uri))?.answer(commitment);
  }

  /** Upgrades a timestamp in place from the local mirrors (see upgradeTimestamp). */
  upgrade(timestamp: Timestamp): UpgradeReport {
    return upgradeTimestamp(timestamp, (uri, c) => this.answer(uri, c));
  }

  /** Upgrades the bytes of a `.ots` file; returns the new file's bytes (unchanged when nothing was upgraded). */
  upgradeFile(bytes: Uint8Array): { bytes: Uint8Array; report: UpgradeReport } {
    const file = DetachedTimestampFile.fromBytes(bytes);
    const report = this.upgrade(file.timestamp);
    return { bytes: report.upgraded > 0 ? file.toBytes() : bytes, report };
  }

  async close(): Promise<void> {
    for (const m of this.#mirrors.values()) await m.close();
  }
}
