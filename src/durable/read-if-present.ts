/** @module Reading a small file that is replaced whole (a state file): its text, or undefined when it does not exist yet (a first run); any other failure goes to the caller's error, which names the file. */
import { existsSync, readFileSync } from 'node:fs';
import { errnoOf } from './file-io.js';

/** The text of `path`, or undefined if there is no such file; throws what `unreadable` makes of a read that fails. */
export function readTextIfPresent(path: string, unreadable: (reason: string, cause: unknown) => Error): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(`cannot read it (${errnoOf(err) ?? 'error'})`, err);
  }
}
