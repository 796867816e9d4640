// The layout is kept true by the lint and by this test: every import between src/ folders is one that
// docs/ARCHITECTURE.md's "depends on" column allows, every allowed one is used, and the lint refuses the rest.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { forbiddenFor, layoutTable } from '../../scripts/layout.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** folder → folders its files import (static, type-only and re-exports alike; dynamic imports too). */
function actualImports(): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const folder of readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory())) {
    const deps = (out[folder] = new Set<string>());
    for (const file of filesUnder(join(SRC, folder))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'\.\.\/([a-z]+)\//g)) if (m[1] !== folder) deps.add(m[1] as string);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

describe('the layout', () => {
  const table = layoutTable();

  it('has a row for every src/ folder, and each "depends on" column equals what the folder imports', () => {
    const actual = actualImports();
    expect(Object.keys(table).sort()).toEqual(Object.keys(actual).sort());
    for (const [folder, deps] of Object.entries(actual)) expect([folder, [...(table[folder] ?? [])].sort()]).toEqual([folder, deps]);
  });

  it('keeps the domain off the command line and the HTTP edge, and ots free of anything of ours', () => {
    for (const folder of ['ots', 'journal', 'index', 'calendar', 'aggregator', 'anchor', 'bitcoin', 'mirror', 'backup', 'net', 'log', 'metrics', 'durable']) {
      expect(table[folder], folder).not.toContain('cli');
      expect(table[folder], folder).not.toContain('http');
    }
    expect(table['ots']).toEqual([]);
  });

  it('notices a drifted column', () => {
    const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const drifted = layoutTable(doc.replace(/(\| `src\/index\/` \|.*\| )journal, log, ots( \|)/, '$1journal, ots$2'));
    expect(drifted['index']).toEqual(['journal', 'ots']);
    expect(drifted['index']).not.toEqual(actualImports()['index']);
  });

  it('makes the lint refuse a forbidden import, naming the rule', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const lint = async (file: string, code: string): Promise<string[]> => {
      const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
      return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
    };
    expect(await lint('src/ots/example.ts', "import type { Config } from '../cli/config.js';\nexport type X = Config;\n")).toEqual([
      "no-restricted-imports: '../cli/config.js' import is restricted from being used by a pattern. src/ots does not depend on src/cli (docs/ARCHITECTURE.md, \"Layout\")",
    ]);
    expect((await lint('src/anchor/example.ts', "import { createApp } from '../http/app.js';\nexport const a = createApp;\n"))[0]).toMatch(/src\/anchor does not depend on src\/http/);
    expect(await lint('src/anchor/example.ts', "import { bytesToHex } from '../ots/index.js';\nexport const a = bytesToHex;\n")).toEqual([]);
    expect(forbiddenFor('cli', table).map((p) => p.group[0])).toEqual(['../durable/*']);
    expect(relative(ROOT, SRC)).toBe('src');
  });
});
