/**
 * The systemd units in contrib/ carry the promised settings and pass `systemd-analyze verify` as shipped, in a
 * scratch root holding systemd's own units and the package installed there for real with `npm install -g`, in both
 * places npm's global prefix puts the command (/usr/bin, /usr/local/bin).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../fixtures/calendar-process.js';
import { npm, packWorkTree, type PackedPackage } from '../fixtures/package.js';

const UNITS = fileURLToPath(new URL('../../contrib/systemd/', import.meta.url));
/** The fixed search path systemd (239 and later) resolves a bare ExecStart command in and gives services as PATH. */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';

/** The work tree packed once for this file (npm pack builds dist/ from a copy). */
let packing: Promise<PackedPackage> | undefined;
const packed = (): Promise<PackedPackage> => (packing ??= packWorkTree());

describe('contrib/systemd units', () => {
  const units = readdirSync(UNITS).filter((f) => f.endsWith('.service'));

  it('exist for the calendar and are hardened Type=notify services', () => {
    expect(units).toEqual(expect.arrayContaining(['ots-calendar.service', 'ots-calendar-mirror.service', 'ots-calendar-aggregator.service', 'ots-calendar-stamper.service']));
    for (const u of units) {
      const text = readFileSync(join(UNITS, u), 'utf8');
      // the aggregator keeps nothing on disk, so it has no state directory
      const stateful = u !== 'ots-calendar-aggregator.service';
      for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=', 'DynamicUser=yes', ...(stateful ? ['StateDirectory='] : []), 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'KillSignal=SIGTERM']) {
        expect(text, `${u}: ${line}`).toContain(line);
      }
    }
  });

  it('start the command by its bare name, which systemd looks up where npm install -g puts it', () => {
    for (const u of units) {
      const role = u === 'ots-calendar.service' ? 'calendar' : u.replace(/^ots-calendar-|\.service$/g, '');
      const exec = readFileSync(join(UNITS, u), 'utf8').split('\n').filter((l) => l.startsWith('ExecStart='));
      expect(exec, u).toEqual([`ExecStart=ots-calendar ${role} --config /etc/ots-calendar${role === 'calendar' ? '' : `-${role}`}.conf`]);
    }
  });

  describe.each(['usr', 'usr/local'])('with the package installed globally into /%s of a scratch root', (prefix) => {
    /** A scratch root holding systemd's own units, /bin/kill (ExecReload) and the shipped units. */
    const scratchRoot = (): string => {
      const root = tempDir('otsc-sysroot-');
      mkdirSync(join(root, 'usr/lib'), { recursive: true });
      cpSync('/usr/lib/systemd', join(root, 'usr/lib/systemd'), { recursive: true });
      mkdirSync(join(root, 'bin'), { recursive: true });
      copyFileSync('/bin/kill', join(root, 'bin/kill'));
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      for (const u of units) copyFileSync(join(UNITS, u), join(root, 'etc/systemd/system', u));
      return root;
    };
    const verify = (root: string, unit: string): { code: number; out: string } => {
      const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, join(root, 'etc/systemd/system', unit)], { encoding: 'utf8' });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    };

    it('systemd-analyze verify fails on every unit before the install (the check looks for the command)', () => {
      const root = scratchRoot();
      for (const u of units) {
        const r = verify(root, u);
        expect(r.out, u).toContain('Command ots-calendar is not executable');
        expect(r.code, u).not.toBe(0);
      }
    });

    it('systemd-analyze verify passes on every unit as shipped, and the command runs with systemd\'s PATH', async () => {
      const root = scratchRoot();
      const pkg = await packed();
      await npm(tempDir('otsc-elsewhere-'), ['install', '--global', '--prefix', join(root, prefix), pkg.tarball]);
      const installed = join(root, prefix, 'bin/ots-calendar');
      expect(lstatSync(installed).isSymbolicLink()).toBe(true);
      for (const u of units) expect(verify(root, u), u).toEqual({ code: 0, out: '' });
      // the command's `#!/usr/bin/env node` finds node in the search path systemd gives a service
      const help = spawnSync(installed, ['--help'], { encoding: 'utf8', env: { PATH: SYSTEMD_PATH } });
      expect([help.status, help.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(/^ots-calendar \d+\.\d+\.\d+ /)]);
    }, 120_000);
  });
});
