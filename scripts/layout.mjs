// The layout's one source of truth is the "Layout" table of docs/ARCHITECTURE.md: each src/ folder and the
// folders it may import ("depends on"). The lint builds its import boundaries from it, and a test checks it
// against the imports, so the picture and the code cannot drift apart.
import { readFileSync } from 'node:fs';

const ARCHITECTURE = new URL('../docs/ARCHITECTURE.md', import.meta.url);

/** { folder: [folders it may import] } for every `src/<folder>/` row of the Layout table. */
export function layoutTable(text = readFileSync(ARCHITECTURE, 'utf8')) {
  const table = {};
  const section = text.split(/^## /m).find((s) => s.startsWith('Layout'));
  if (!section) throw new Error('docs/ARCHITECTURE.md has no "## Layout" section');
  for (const line of section.split('\n')) {
    const m = /^\| `src\/([a-z]+)\/` \|.*\| ([^|]*) \|\s*$/.exec(line);
    if (!m) continue;
    const deps = m[2].trim();
    table[m[1]] = deps === '—' ? [] : deps.split(',').map((d) => d.trim().replace(/`/g, ''));
  }
  if (Object.keys(table).length === 0) throw new Error('docs/ARCHITECTURE.md: no `src/<folder>/` rows in the Layout table');
  return table;
}

/** ESLint `no-restricted-imports` patterns for a folder: every other folder of src/ it does not depend on. */
export function forbiddenFor(folder, table = layoutTable()) {
  const allowed = new Set([folder, ...table[folder]]);
  return Object.keys(table)
    .filter((f) => !allowed.has(f))
    .map((f) => ({ group: [`../${f}/*`, `../../src/${f}/*`], message: `src/${folder} does not depend on src/${f} (docs/ARCHITECTURE.md, "Layout")` }));
}
