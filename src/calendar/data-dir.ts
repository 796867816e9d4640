/** @module The calendar's data directory: layout, first-run creation of the HMAC key and URI, and their checks. */
import { mkdirSync, readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurablySync } from '../durable/index.js';
import { isValidPendingUri } from '../ots/index.js';
import { loadOrCreateHmacKey } from './hmac-key.js';

export class DataDirError extends Error {
  readonly code = 'data-dir';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataDirError';
  }
}

export interface DataDir {
  root: string;
  journalDir: string;
  indexDir: string;
  stateDir: string;
  hmacKey: Uint8Array;
  uri: string;
  /** What first-run set-up did, for the log. */
  notes: Array<{ level: 'info' | 'warn'; msg: string; fields?: Record<string, unknown> }>;
}

/** The files of a data directory that are not derived (a backup copies them; the index is rebuilt). */
export const HMAC_KEY_FILE = 'hmac-key';
export const URI_FILE = 'uri';

/** True when the journal directory holds a segment with any bytes: commitments were made there. */
export function journalHoldsRecords(journalDir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(journalDir);
  } catch {
    return false;
  }
  return names.some((n) => n.endsWith('.seg') && statSync(join(journalDir, n)).size > 0);
}

/** A URI clients can use: http(s), no trailing slash issues, and within PendingAttestation's rules (ots-format §6). */
export function checkCalendarUri(uri: string): string | undefined {
  if (!/^https?:\/\/[^/]/.test(uri)) return 'must start with http:// or https://';
  if (Buffer.byteLength(uri) > 1000) return 'must be at most 1000 bytes';
  if (!isValidPendingUri(uri)) return 'may only contain A-Z a-z 0-9 - . _ / : (the OpenTimestamps pending-attestation rule)';
  return undefined;
}

/**
 * Opens (creating on first run) the data directory. The URI goes into every pending proof forever, so it is
 * stored in `uri` on first run; a different `--uri` later replaces it with a warning.
 */
export function openDataDir(root: string, opts: { uri?: string; defaultUri: string }): DataDir {
  const notes: DataDir['notes'] = [];
  try {
    mkdirSync(root, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw new DataDirError(`cannot create data directory ${root}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  const dirs = { journalDir: join(root, 'journal'), indexDir: join(root, 'index'), stateDir: join(root, 'state') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });

  const keyPath = join(root, HMAC_KEY_FILE);
  // A new key is only made for a new calendar: with commitments in the journal, the key they were made with
  // is the one to restore, and a new one would silently make this another calendar.
  const used = journalHoldsRecords(dirs.journalDir);
  const key = loadOrCreateHmacKey(keyPath, {
    mayCreate: !used,
    missing: `${keyPath} is missing, but the journal in ${dirs.journalDir} holds commitments made with it. Restore the key from your backup (install -m 600 BACKUP/hmac-key ${keyPath}); see "Operating it" in the README. A new key is only made for an empty journal.`,
  });
  if (key.created) notes.push({ level: 'info', msg: 'created a new HMAC key (keep a backup of it)', fields: { path: keyPath, mode: '0600' } });

  const uriPath = join(root, URI_FILE);
  const stored = existsSync(uriPath) ? readFileSync(uriPath, 'utf8').trim() : undefined;
  const uri = opts.uri ?? stored ?? opts.defaultUri;
  if (/^https?:\/\/[^/]*:0(\/|$)/.test(uri)) throw new DataDirError(`calendar URI ${uri} names port 0; pass --uri with the address clients will use`);
  const problem = checkCalendarUri(uri);
  if (problem) throw new DataDirError(`calendar URI ${JSON.stringify(uri)} ${problem}`);
  if (stored === undefined) {
    writeFileDurablySync(uriPath, uri + '\n');
    notes.push({ level: 'info', msg: 'calendar URI set; it goes into every pending proof, so keep it stable', fields: { uri, path: uriPath } });
  } else if (stored !== uri) {
    writeFileDurablySync(uriPath, uri + '\n');
    notes.push({ level: 'warn', msg: 'calendar URI changed; proofs issued before still point at the old one', fields: { old: stored, uri } });
  }
  if (/^https?:\/\/(127\.|localhost|\[::1\])/.test(uri)) {
    notes.push({ level: 'warn', msg: 'the calendar URI is a loopback address: proofs issued now can only be upgraded from this machine; set --uri to the public URL for a public calendar', fields: { uri } });
  }
  return { root, ...dirs, hmacKey: key.key, uri, notes };
}
