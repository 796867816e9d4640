/**
 * @module systemd integration for Type=notify units: READY=1 once serving, STATUS= lines, STOPPING=1, and watchdog pings while healthy.
 *
 * Node has no unix datagram sockets, so messages go through systemd's own `systemd-notify` tool; the unit
 * therefore sets NotifyAccess=all. BUG: before systemd 254, a message from a process that has already
 * exited can fail to be matched to its unit; READY=1 is therefore sent three times (duplicates are harmless)
 * and watchdog pings come every third of WatchdogSec, so one lost ping never trips the watchdog.
 */
import { execFile } from 'node:child_process';

export interface Notifier {
  /** True when started by systemd with NOTIFY_SOCKET set. */
  readonly active: boolean;
  ready(status: string): void;
  status(status: string): void;
  stopping(): void;
  /** Starts watchdog pings (if WATCHDOG_USEC is set) that are sent only while `healthy()` holds. */
  startWatchdog(healthy: () => boolean): void;
  close(): void;
}

export function createNotifier(env: NodeJS.ProcessEnv = process.env, onError: (err: unknown) => void = () => undefined): Notifier {
  const socket = env['NOTIFY_SOCKET'];
  const timers: NodeJS.Timeout[] = [];
  const send = (...lines: string[]): void => {
    if (!socket) return;
    execFile('systemd-notify', lines, { env: { ...env, NOTIFY_SOCKET: socket }, timeout: 5_000 }, (err) => {
      if (err) onError(err);
    });
  };
  const usec = Number(env['WATCHDOG_USEC'] ?? 0);
  const watchdogPid = env['WATCHDOG_PID'];
  const watchdogForUs = usec > 0 && (!watchdogPid || Number(watchdogPid) === process.pid);
  return {
    active: Boolean(socket),
    ready: (status) => {
      send('--ready', `--status=${status}`, `MAINPID=${process.pid}`);
      for (const ms of [1_000, 3_000]) {
        const t = setTimeout(() => send('--ready', `MAINPID=${process.pid}`), ms);
        t.unref();
        timers.push(t);
      }
    },
    status: (status) => send(`--status=${status}`),
    stopping: () => send('STOPPING=1'),
    startWatchdog: (healthy) => {
      if (!socket || !watchdogForUs) return;
      const every = Math.max(100, Math.floor(usec / 1000 / 3));
      const t = setInterval(() => {
        if (healthy()) send('WATCHDOG=1');
      }, every);
      t.unref();
      timers.push(t);
    },
    close: () => {
      for (const t of timers) clearTimeout(t);
    },
  };
}
