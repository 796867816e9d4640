/** The systemd units in contrib/ pass `systemd-analyze verify` (in a scratch root holding systemd's own units) and carry the promised settings. */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../fixtures/calendar-process.js';

const UNITS = fileURLToPath(new URL('../../contrib/systemd/', import.meta.url));

describe('contrib/systemd units', () => {
  const units = readdirSync(UNITS).filter((f) => f.endsWith('.service'));

  it('exist for the calendar and are hardened Type=notify services', () => {
    expect(units).toEqual(expect.arrayContaining(['ots-calendar.service', 'ots-calendar-mirror.service', 'ots-calendar-aggregator.service']));
    for (const u of units) {
      const text = readFileSync(join(UNITS, u), 'utf8');
      // the aggregator keeps nothing on disk, so it has no state directory
      const stateful = u !== 'ots-calendar-aggregator.service';
      for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=', 'DynamicUser=yes', ...(stateful ? ['StateDirectory='] : []), 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'KillSignal=SIGTERM']) {
        expect(text, `${u}: ${line}`).toContain(line);
      }
    }
  });

  it('pass systemd-analyze verify', () => {
    const root = tempDir('otsc-sysroot-');
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    cpSync('/usr/lib/systemd', join(root, 'usr/lib/systemd'), { recursive: true });
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/kill', join(root, 'bin/kill'));
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/local/bin/ots-calendar'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/local/bin/ots-calendar'), 0o755);
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    for (const u of units) {
      copyFileSync(join(UNITS, u), join(root, 'etc/systemd/system', u));
      const out = execFileSync('systemd-analyze', ['verify', `--root=${root}`, join(root, 'etc/systemd/system', u)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe('');
    }
  });
});
