/**
 * The test layers of vitest.config.ts hold every test file exactly once, and each in the right one: a unit test
 * reaches no real part through its imports (followed through test/ helpers), and a real-part test reaches one.
 * No test is skipped or left pending, under CI or anywhere else.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REAL_PART_TESTS, UNIT_TESTS } from '../vitest.config.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function testFiles(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

/** Modules that are real parts themselves (outside processes, browsers, installs), by how they are imported. */
const REAL_MODULES: Record<string, string> = {
  'node:child_process': 'spawns processes',
  opentimestamps: 'the npm opentimestamps client',
  'playwright-core': 'drives Chromium',
  'test/fixtures/litecoind.ts': 'litecoind -regtest',
  'test/fixtures/python/oracle.ts': 'python-opentimestamps',
  'test/fixtures/nginx.ts': 'nginx',
  'test/fixtures/browser.ts': 'Chromium',
  'test/fixtures/js-client.ts': 'the npm opentimestamps client',
  'test/fixtures/package.ts': 'npm pack and npm install',
};
/** calendar-process.ts also holds two plain helpers; only these of its names start a process. */
const CALENDAR_PROCESS = 'test/fixtures/calendar-process.ts';
const PROCESS_NAMES = new Set(['MAIN', 'startCalendarProcess', 'startServerProcess']);

interface Import {
  from: string;
  names: string[];
  typeOnly: boolean;
}

/** The static imports of a module: `import … from '…'` (with the names it takes) and `import '…'`. */
function importsOf(source: string): Import[] {
  const out: Import[] = [];
  for (const m of source.matchAll(/^import\s+(type\s+)?([\s\S]*?)\s+from\s+'([^']+)';?$/gm)) {
    const clause = m[2] ?? '';
    const braced = /\{([\s\S]*)\}/.exec(clause)?.[1];
    const named = (braced ?? '').split(',').map((n) => n.trim()).filter((n) => n.length > 0);
    const names = named.filter((n) => !n.startsWith('type ')).map((n) => n.split(/\s+as\s+/)[0] ?? n);
    const other = clause.replace(/\{[\s\S]*\}/, '').replace(/,/g, ' ').trim(); // a default or `* as ns` import
    out.push({ from: m[3] ?? '', names: other.length > 0 ? [...names, other] : names, typeOnly: m[1] !== undefined || (named.length > 0 && names.length === 0 && other.length === 0) });
  }
  for (const m of source.matchAll(/^import\s+'([^']+)';?$/gm)) out.push({ from: m[1] ?? '', names: [], typeOnly: false });
  return out;
}

/** Where a relative specifier lands, as a repository path (`.js` written for a `.ts` source). */
function resolveLocal(fromFile: string, spec: string): string {
  const abs = resolve(dirname(join(ROOT, fromFile)), spec);
  const ts = abs.replace(/\.js$/, '.ts');
  return relative(ROOT, existsSync(ts) ? ts : abs);
}

/**
 * The real parts a test file reaches: through the modules above, or through a test/ helper that reaches one
 * (followed recursively). src/ is not followed: the code under test starts no real part unless a test hands it one.
 */
function realPartsOf(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  for (const imp of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
    if (imp.typeOnly) continue;
    const target = imp.from.startsWith('.') ? resolveLocal(file, imp.from) : imp.from;
    const why = REAL_MODULES[target];
    if (why !== undefined) found.push(`${target} (${why})`);
    else if (target === CALENDAR_PROCESS) found.push(...imp.names.filter((n) => PROCESS_NAMES.has(n)).map((n) => `${target} ${n} (the ots-calendar command as a process)`));
    else if (target.startsWith('test/')) found.push(...realPartsOf(target, seen));
  }
  return found;
}

describe('test layers (vitest.config.ts)', () => {
  const files = testFiles().sort();

  it('hold every test file exactly once, and nothing else', () => {
    const listed = [...UNIT_TESTS, ...REAL_PART_TESTS];
    expect(listed.filter((f, i) => listed.indexOf(f) !== i), 'listed twice').toEqual([]);
    expect(files.filter((f) => !listed.includes(f)), 'in no layer').toEqual([]);
    expect(listed.filter((f) => !files.includes(f)), 'listed but not a test file').toEqual([]);
  });

  it('put every test that reaches no real part in unit, and every one that does in real-parts', () => {
    const misplaced: string[] = [];
    for (const f of UNIT_TESTS) {
      const parts = realPartsOf(f);
      if (parts.length > 0) misplaced.push(`${f} is a unit test but reaches ${parts.join(', ')}`);
    }
    for (const f of REAL_PART_TESTS) if (realPartsOf(f).length === 0) misplaced.push(`${f} reaches no real part: it belongs in unit`);
    expect(misplaced).toEqual([]);
  });

  it('see real parts through helpers and type-only imports apart', () => {
    expect(importsOf("import { type A, type B } from './x.js';\nimport type { C } from './y.js';\nimport { d, type E } from './z.js';\nimport * as ns from 'node:fs';\n")).toEqual([
      { from: './x.js', names: [], typeOnly: true },
      { from: './y.js', names: ['C'], typeOnly: true },
      { from: './z.js', names: ['d'], typeOnly: false },
      { from: 'node:fs', names: ['* as ns'], typeOnly: false },
    ]);
    // a helper that starts the command, and one that only makes a temporary directory
    expect(realPartsOf('test/mirror/fixtures/mirror-process.ts')).toEqual([`${CALENDAR_PROCESS} startServerProcess (the ots-calendar command as a process)`]);
    expect(realPartsOf('test/index/heal.test.ts')).toEqual([]);
  });

  it('skip nothing and leave nothing pending, under CI or not', () => {
    const skipping = /\b(?:it|test|describe|suite|bench)\s*\.\s*(?:skip|skipIf|runIf|todo|only|fails)\b|\b(?:ctx|context|t)\s*\.\s*skip\s*\(/;
    const offenders = files.filter((f) => skipping.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
