/**
 * The calendar as a daemon, with the real process: graceful SIGTERM under load, systemd readiness and watchdog
 * messages on a NOTIFY_SOCKET, SIGHUP log reopening after a logrotate-style rename, /metrics, /healthz, /readyz,
 * and check-config's messages.
 */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startCalendarProcess, tempDir, MAIN } from '../fixtures/calendar-process.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);

describe('SIGTERM under load', () => {
  it('answers or cleanly refuses every client, keeps every acknowledged digest, and exits 0 in time', async () => {
    const dataDir = tempDir('otsc-term-');
    const cal = await startCalendarProcess({ dataDir, tickMs: 200 });
    const acked: Array<{ digest: Uint8Array; proof: Uint8Array }> = [];
    const refused: string[] = [];
    const truncated: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const digest = randomBytes(32);
        let res: Response;
        try {
          res = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
        } catch (e) {
          refused.push(String((e as Error & { cause?: unknown }).cause ?? e));
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        let body: Uint8Array;
        try {
          body = new Uint8Array(await res.arrayBuffer());
        } catch (e) {
          truncated.push(String(e));
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) acked.push({ digest, proof: body });
        else expect(res.status).toBe(503);
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    cal.kill('SIGTERM');
    const exit = await cal.exited;
    const took = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(workers);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(5000);
    expect(truncated).toEqual([]);
    expect(acked.length).toBeGreaterThan(50);
    expect(cal.lines.some((l) => l['msg'] === 'stopped cleanly')).toBe(true);

    const again = await startCalendarProcess({ dataDir, port: cal.port });
    try {
      for (const { digest, proof } of acked) {
        const [p] = Timestamp.fromBytes(proof, digest).allAttestations();
        const r = await fetch(`${again.url}/timestamp/${Buffer.from(p?.msg ?? []).toString('hex')}`);
        expect(await r.text()).toBe('Pending confirmation in Bitcoin blockchain');
      }
    } finally {
      await again.stop();
    }
  });
});

describe('systemd integration', () => {
  it('sends READY=1, watchdog pings while healthy, and STOPPING=1 to NOTIFY_SOCKET', async () => {
    const dir = tempDir('otsc-notify-');
    const sock = join(dir, 'notify.sock');
    const listener = spawn('python3', ['-u', '-c', `import socket\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(sock)})\nprint('bound', flush=True)\nwhile True:\n    print(repr(s.recv(4096)), flush=True)\n`]);
    const received: string[] = [];
    await new Promise<void>((resolve) => {
      listener.stdout.on('data', (d: Buffer) => {
        received.push(d.toString());
        if (received.join('').includes('bound')) resolve();
      });
    });
    try {
      const cal = await startCalendarProcess({ env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' } });
      await new Promise((r) => setTimeout(r, 1500));
      const before = received.join('');
      expect(before).toContain('READY=1');
      expect(before).toMatch(/STATUS=serving http:\/\/127\.0\.0\.1:\d+; 0 commitments/);
      expect(before.match(/WATCHDOG=1/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
      expect((await cal.stop()).code).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(received.join('')).toContain('STOPPING=1');
    } finally {
      listener.kill();
    }
  });
});

describe('log files', () => {
  it('reopens its log file on SIGHUP after a logrotate-style rename, losing no line', async () => {
    const dir = tempDir('otsc-log-');
    const file = join(dir, 'calendar.log');
    const cal = await startCalendarProcess({ args: ['--log-file', file, '--access-log'] });
    try {
      const hit = async (n: number, tag: string): Promise<void> => {
        for (let i = 0; i < n; i++) await (await fetch(`${cal.url}/nothing-${tag}-${i}`)).text();
      };
      await hit(5, 'a');
      renameSync(file, `${file}.1`);
      await hit(3, 'b');
      cal.kill('SIGHUP');
      await cal.waitFor((l) => l['msg'] === 'log file reopened');
      await hit(4, 'c');
      await new Promise((r) => setTimeout(r, 100));
      const old = readFileSync(`${file}.1`, 'utf8');
      const fresh = readFileSync(file, 'utf8');
      const count = (text: string, tag: string): number => (text.match(new RegExp(`GET /nothing-${tag}-`, 'g')) ?? []).length;
      expect(count(old, 'a')).toBe(5);
      expect(count(old, 'b')).toBe(3);
      expect(count(fresh, 'c')).toBe(4);
      expect(count(fresh, 'a') + count(fresh, 'b') + count(old, 'c')).toBe(0);
      for (const line of fresh.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await cal.stop();
    }
  });
});

describe('health and metrics', () => {
  it('/healthz and /readyz answer; /metrics is Prometheus text whose counters move with digests', async () => {
    const cal = await startCalendarProcess({ tickMs: 50 });
    try {
      expect(await (await fetch(`${cal.url}/healthz`)).text()).toBe('ok');
      const ready = await fetch(`${cal.url}/readyz`);
      expect(ready.status).toBe(200);
      const scrape = async (): Promise<Map<string, number>> => {
        const res = await fetch(`${cal.url}/metrics`);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = await res.text();
        const values = new Map<string, number>();
        for (const line of text.trim().split('\n')) {
          if (line === '') continue; // the text format allows empty lines (prom-client puts one between families)
          if (line.startsWith('#')) {
            expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
            continue;
          }
          // a value may be NaN, spelled Nan by prom-client (an event-loop mean with no sample yet); Prometheus reads either
          const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|Nan|[+-]Inf)$/.exec(line);
          expect(m, line).not.toBeNull();
          values.set(`${m?.[1]}${m?.[2] ?? ''}`, Number(m?.[3]));
        }
        return values;
      };
      const a = await scrape();
      await Promise.all(Array.from({ length: 10 }, () => fetch(`${cal.url}/digest`, { method: 'POST', body: randomBytes(32) }).then((r) => r.arrayBuffer())));
      const b = await scrape();
      expect((b.get('ots_digests_total') ?? 0) - (a.get('ots_digests_total') ?? 0)).toBe(10);
      expect(b.get('ots_ticks_total') ?? 0).toBeGreaterThan(a.get('ots_ticks_total') ?? 0);
      expect(b.get('ots_commitments') ?? 0).toBeGreaterThan(0);
      expect(b.get('ots_pending_commitments')).toBe(b.get('ots_commitments'));
      expect(b.get('ots_http_requests_total{method="POST",route="/digest",status="200"}')).toBe(10);
      expect(b.get('ots_http_request_duration_seconds_count{route="/digest",status="200"}')).toBe(10);
    } finally {
      await cal.stop();
    }
  });
});

describe('logs under journald, and the access log', () => {
  it('prefixes every line with its priority, and logs each request with client, query, bytes, time and user agent', async () => {
    const dataDir = tempDir('otsc-journald-');
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, 'calendar', '--data-dir', dataDir, '--port', String(port), '--log-format', 'json', '--access-log', '--trust-proxy', '127.0.0.1'], {
      env: { ...process.env, JOURNAL_STREAM: '8:12345' },
    });
    const lines: string[] = [];
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
    });
    const until = async (pred: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pred()).toBe(true);
    };
    try {
      await until(() => lines.some((l) => l.includes('"msg":"calendar listening"')));
      const r = await fetch(`http://127.0.0.1:${port}/timestamp/${'ab'.repeat(44)}?x=1`, { headers: { 'x-real-ip': '203.0.113.9', 'user-agent': 'test-client/1' } });
      await r.arrayBuffer();
      await until(() => lines.some((l) => l.includes('"access":true')));
    } finally {
      // a process that already exited (say, on a refused option) is not waited for again
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
    }
    for (const l of lines) expect(l, l).toMatch(/^<[3467]>\{/);
    expect(lines.find((l) => l.includes('"msg":"calendar listening"'))?.slice(0, 3)).toBe('<6>');
    expect(lines.find((l) => l.includes('the calendar URI is a loopback address'))?.slice(0, 3)).toBe('<4>');
    const access = JSON.parse((lines.find((l) => l.includes('"access":true')) as string).slice(3)) as Record<string, unknown>;
    expect(access).toMatchObject({ msg: `GET /timestamp/${'ab'.repeat(44)}?x=1`, client: '203.0.113.9', status: 404, bytes: 9, ua: 'test-client/1' });
    expect(typeof access['ms']).toBe('number');
  });
});

describe('a signal at any moment of start-up', () => {
  it('stops the server cleanly, whether it comes while the journal opens or right as the port opens', async () => {
    for (const at of ['opening the journal', 'calendar listening']) {
      const dataDir = tempDir('otsc-early-');
      const proc = spawn(process.execPath, [MAIN, 'calendar', '--data-dir', dataDir, '--port', '0', '--uri', 'http://127.0.0.1:1', '--log-format', 'json']);
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(`"msg":"${at}"`) && proc.signalCode === null && !proc.killed) proc.kill('SIGTERM');
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('exit', (c, sig) => resolve([c, sig])));
      expect([at, code, signal]).toEqual([at, 0, null]);
      expect(out, at).toContain('"msg":"stopped cleanly"');
    }
  });
});

describe('check-config', () => {
  it('accepts a good file and rejects each kind of bad value with the key and what is allowed', async () => {
    const dir = tempDir('otsc-check-');
    const good = join(dir, 'good.conf');
    writeFileSync(good, readFileSync(new URL('../../contrib/ots-calendar.conf', import.meta.url), 'utf8'));
    const ok = await run(process.execPath, [MAIN, 'check-config', '--config', good]);
    expect(ok.stdout).toContain('configuration OK');
    const cases: Array<[string, RegExp]> = [
      ['port = 70000', /"port" must be at most 65535, got "70000"/],
      ['port = http', /"port" must be a whole number, got "http"/],
      ['tick-ms = 1.5', /"tick-ms" must be a whole number/],
      ['log-level = chatty', /"log-level" must be one of debug, info, warn, error/],
      ['access-log = perhaps', /"access-log" must be true or false/],
      ['uri = ftp://x', /"uri" must start with http:\/\/ or https:\/\//],
      ['no-such-key = 1', /unknown option "no-such-key"/],
      ['just garbage', /expected "key = value"/],
    ];
    for (const [line, want] of cases) {
      const f = join(dir, 'bad.conf');
      writeFileSync(f, `${line}\n`);
      const r = await run(process.execPath, [MAIN, 'check-config', '--config', f]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code, line).toBe(2);
      expect(r.stderr, line).toMatch(want);
      expect(r.stderr, line).toContain('bad.conf:1');
    }
    expect(existsSync(join(dir, 'journal'))).toBe(false);
  });

  it('checks every role\'s options, reporting every problem of a file at once', async () => {
    const dir = tempDir('otsc-check-');
    const f = join(dir, 'agg.conf');
    writeFileSync(f, 'required = 3\nupstream = https://a.example.org\nstraggler-ms = 20000\nupstream-timeout-ms = nope\n');
    const r = await run(process.execPath, [MAIN, 'check-config', '--role', 'aggregator', '--config', f]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agg.conf:4: "upstream-timeout-ms" must be a whole number, got "nope"');
    expect(r.stderr).toContain('"required" is 3 but only 1 upstream calendar(s) are given');
    expect(r.stderr).toContain('"shutdown-timeout-ms" (15000) must be more than upstream-timeout-ms + straggler-ms (25000)');
    const mirror = await run(process.execPath, [MAIN, 'check-config', '--role', 'mirror', '--upstream', 'https://a.example.org', '--port', '15000']);
    expect(mirror.stdout).toContain('port = 15000    # --port');
    expect(mirror.stdout).toContain('configuration OK for mirror');
  });

  it('stops at an unknown short flag, a stray argument or an unknown variable, before touching anything', async () => {
    const dir = tempDir('otsc-strict-');
    const dataDir = join(dir, 'data');
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['calendar', '--data-dir', dataDir, '-p', '18999', 'stray-arg'], {}, /-p: unknown option for "calendar"[\s\S]*unexpected argument "18999", "stray-arg"/],
      [['calendar', '--data-dir', dataDir], { OTS_CALENDAR_TIKC_MS: '100' }, /OTS_CALENDAR_TIKC_MS: unknown option "tikc-ms"/],
      [['mirror', '--upstream', 'https://a.example.org', '--data-dir', dataDir, 'extra'], {}, /unexpected argument "extra" for "mirror"/],
      [['fsck', '--data-dir', dataDir, '--port', '1'], {}, /--port: unknown option "port" for "fsck"/],
    ];
    for (const [args, env, want] of cases) {
      const r = await run(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(want);
      expect(existsSync(dataDir), args.join(' ')).toBe(false);
    }
  });

  it('every command has --help', async () => {
    for (const cmd of ['calendar', 'mirror', 'aggregator', 'stamper', 'reindex', 'fsck', 'check-config', 'info', 'demo']) {
      const r = await run(process.execPath, [MAIN, cmd, '--help']);
      expect(r.stdout, cmd).toMatch(/usage: ots-calendar/);
    }
  });
});
