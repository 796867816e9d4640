/**
 * @module The one log type every part of the server writes to: a function of level, message and fields. The command line adapts it to its JSON or text logger (src/cli/log.ts); a library user passes any function, or none.
 *
 * Fields are plain data. A part never puts a secret in them (a key, a password, a credential in a URL); the
 * command line's logger redacts such fields and URL user-info again as a second line of defence.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** Writes one log line; must not throw (a failing destination is the logger's problem, never the caller's). */
export type Log = (level: LogLevel, msg: string, fields?: LogFields) => void;

/** Drops everything: the default where no log is given. */
export const silentLog: Log = () => undefined;

/** The same log with `bound` fields added to every line (a part's name, a peer's URL). */
export function withFields(log: Log, bound: LogFields): Log {
  return (level, msg, fields) => log(level, msg, fields === undefined ? bound : { ...bound, ...fields });
}
