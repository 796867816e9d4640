/**
 * The package installed three ways, each into a clean directory: by git URL (npm clones, installs the dev
 * dependencies, runs `prepare` and installs the packed result: a copy, as every user of a git URL gets, unlike
 * `npm install <folder>`, which only links the checkout), from `npm pack`'s tarball, and globally into a scratch
 * prefix. In each, the installed `ots-calendar` answers --help and runs a calendar that answers GET / and
 * POST /digest, and a separate script imports both library entry points, which type-check from their .d.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { ROOT, consumerProject, npm, packWorkTree, type PackedPackage } from '../fixtures/package.js';
import { Timestamp } from '../../src/ots/index.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const VECTOR = join(ROOT, 'test/vectors/hello-world.txt.ots');

let pkg: PackedPackage;
beforeAll(async () => {
  pkg = await packWorkTree();
}, 120_000);

/** What `npm pack` ships besides dist/: this list changes only on purpose. */
const NOT_DIST = [
  'LICENSE',
  'README.md',
  'contrib/logrotate/ots-calendar',
  'contrib/nginx/README.md',
  'contrib/nginx/ots-calendar.conf',
  'contrib/ots-calendar-aggregator.conf',
  'contrib/ots-calendar-stamper.conf',
  'contrib/ots-calendar.conf',
  'contrib/prometheus/README.md',
  'contrib/prometheus/ots-calendar.rules.test.yml',
  'contrib/prometheus/ots-calendar.rules.yml',
  'contrib/systemd/README.md',
  'contrib/systemd/ots-calendar-aggregator.service',
  'contrib/systemd/ots-calendar-mirror.service',
  'contrib/systemd/ots-calendar-stamper.service',
  'contrib/systemd/ots-calendar.service',
  'package.json',
];

describe('npm pack', () => {
  it('ships dist/ (code and types, no source maps), contrib/, README, LICENSE and package.json, nothing else', () => {
    expect(pkg.files.filter((f) => !f.startsWith('dist/'))).toEqual(NOT_DIST);
    const dist = pkg.files.filter((f) => f.startsWith('dist/'));
    for (const f of dist) expect(f).toMatch(/^dist\/[a-z0-9/-]+(\.d\.ts|\.js)$/);
    for (const entry of ['dist/cli/main.js', 'dist/ots/index.js', 'dist/ots/index.d.ts', 'dist/mirror/index.js', 'dist/mirror/index.d.ts']) expect(dist).toContain(entry);
    // every module comes with its declarations, and the code names no map that is not there
    const js = dist.filter((f) => f.endsWith('.js'));
    expect(dist.filter((f) => f.endsWith('.d.ts')).length).toBe(js.length);
    for (const f of js) expect(readFileSync(join(pkg.tree, f), 'utf8'), f).not.toContain('sourceMappingURL');
    // a bound that catches what was never meant to ship (test data, node_modules, maps), not the code's growth;
    // the command's bundle carries prom-client and @opentelemetry/api (188 KB before compression; the tarball was 611 KB)
    expect(statSync(pkg.tarball).size).toBeLessThan(800_000);
  });

  it('carries the metadata a registry and a user read', () => {
    const meta = JSON.parse(readFileSync(join(pkg.tree, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'ots-calendar', license: 'MIT', type: 'module', bin: { 'ots-calendar': 'dist/cli/main.js' }, engines: { node: expect.stringMatching(/^>=20\.\d+$/) } });
    expect(typeof meta['description']).toBe('string');
    expect(meta['keywords']).toEqual(expect.arrayContaining(['opentimestamps', 'calendar']));
    expect(readFileSync(join(pkg.tree, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the ots-calendar authors\n/);
  });
});

interface Installed {
  /** The installed command. */
  bin: string;
  /** Where a separate script that imports the package is written. */
  scriptDir: string;
  /** The installed package folder. */
  packageDir: string;
}

const installs: Array<[string, () => Promise<Installed>]> = [
  [
    'from the git repository (npm install git+file://…)',
    async () => {
      const dir = consumerProject();
      await npm(dir, ['install', pkg.gitUrl]);
      return { bin: join(dir, 'node_modules/.bin/ots-calendar'), scriptDir: dir, packageDir: join(dir, 'node_modules/ots-calendar') };
    },
  ],
  [
    "from npm pack's tarball",
    async () => {
      const dir = consumerProject();
      await npm(dir, ['install', pkg.tarball]);
      return { bin: join(dir, 'node_modules/.bin/ots-calendar'), scriptDir: dir, packageDir: join(dir, 'node_modules/ots-calendar') };
    },
  ],
  [
    'globally (npm install -g into a prefix)',
    async () => {
      const prefix = tempDir('otsc-global-');
      await npm(tempDir('otsc-elsewhere-'), ['install', '--global', '--prefix', prefix, pkg.tarball]);
      // A script in <prefix>/lib resolves bare names from <prefix>/lib/node_modules, where the global install is:
      // the one place a globally installed ES module package can be imported by name from.
      return { bin: join(prefix, 'bin/ots-calendar'), scriptDir: join(prefix, 'lib'), packageDir: join(prefix, 'lib/node_modules/ots-calendar') };
    },
  ],
];

const IMPORT_SCRIPT = `import { readFileSync } from 'node:fs';
import * as ots from 'ots-calendar/ots';
import * as mirror from 'ots-calendar/mirror';
const file = ots.DetachedTimestampFile.fromBytes(new Uint8Array(readFileSync(process.argv[2])));
process.stdout.write(JSON.stringify({
  ots: import.meta.resolve('ots-calendar/ots'),
  mirror: import.meta.resolve('ots-calendar/mirror'),
  digest: Buffer.from(file.fileDigest).toString('hex'),
  tailWait: mirror.MAX_TAIL_WAIT_MS,
  localMirrors: typeof mirror.LocalMirrors,
}));
`;

/** Uses both entry points' types; each @ts-expect-error fails the check if the types were missing (any). */
const TYPED_SCRIPT = `import { DetachedTimestampFile, Timestamp } from 'ots-calendar/ots';
import { LocalMirrors, MAX_TAIL_WAIT_MS } from 'ots-calendar/mirror';

export function digestOf(bytes: Uint8Array): Uint8Array {
  const file: DetachedTimestampFile = DetachedTimestampFile.fromBytes(bytes);
  const root: Timestamp = file.timestamp;
  return root.msg;
}
export const wait: number = MAX_TAIL_WAIT_MS;
export type Mirrors = LocalMirrors;
// @ts-expect-error a string is not the bytes of a file
DetachedTimestampFile.fromBytes('not bytes');
// @ts-expect-error the wait is a number
export const notAString: string = MAX_TAIL_WAIT_MS;
`;

describe.each(installs)('installed %s', (_how, install) => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await install();
  }, 180_000);

  it('has the command, dist/ without source maps, and its one dependency', () => {
    expect(existsSync(inst.bin)).toBe(true);
    expect(existsSync(join(inst.packageDir, 'dist/cli/main.js'))).toBe(true);
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    expect(walk(join(inst.packageDir, 'dist')).filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const absent of ['src', 'test', 'bench', 'node_modules/typescript']) expect(existsSync(join(inst.packageDir, absent)), absent).toBe(false);
  });

  it('ots-calendar --help', async () => {
    const { stdout } = await run(inst.bin, ['--help']);
    expect(stdout).toMatch(/^ots-calendar \d+\.\d+\.\d+ — an OpenTimestamps calendar server\n/);
    expect(stdout).toMatch(/^ {2}calendar /m);
  });

  it('ots-calendar calendar answers GET / and POST /digest, and stops cleanly', async () => {
    const cal = await startCalendarProcess({ command: [inst.bin] });
    try {
      const page = await fetch(`${cal.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toMatch(/^<!doctype html>/);
      const digest = randomBytes(32);
      const res = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
      expect(res.status).toBe(200);
      const proof = Timestamp.fromBytes(new Uint8Array(await res.arrayBuffer()), digest);
      expect(proof.allAttestations().map((a) => a.attestation)).toEqual([expect.objectContaining({ kind: 'pending', uri: cal.url })]);
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });

  it('both library entry points import from a separate script, from the installed package', async () => {
    const script = join(inst.scriptDir, 'import-check.mjs');
    writeFileSync(script, IMPORT_SCRIPT);
    const { stdout } = await run(process.execPath, [script, VECTOR], { cwd: tempDir('otsc-cwd-') });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    const installedAt = `file://${inst.packageDir}/`;
    expect(out).toEqual({
      ots: `${installedAt}dist/ots/index.js`,
      mirror: `${installedAt}dist/mirror/index.js`,
      digest: '03ba204e50d126e4674c005e04d82e84c21366780af1f43bd54a37816b6ab340',
      tailWait: 30_000,
      localMirrors: 'function',
    });
  });

  it('both library entry points carry their types (tsc, strict, library declarations checked)', async () => {
    writeFileSync(join(inst.scriptDir, 'typed-check.ts'), TYPED_SCRIPT);
    writeFileSync(
      join(inst.scriptDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's own types, as a user's project has them
          typeRoots: [join(ROOT, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['typed-check.ts'],
      }),
    );
    const r = await run(process.execPath, [TSC, '-p', inst.scriptDir]).then(
      () => ({ code: 0, out: '' }),
      (e: Error & { code?: number; stdout?: string }) => ({ code: e.code ?? 1, out: e.stdout ?? '' }),
    );
    expect(r).toEqual({ code: 0, out: '' });
  });
});
