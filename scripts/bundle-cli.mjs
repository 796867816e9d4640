/**
 * Bundles the command line, after tsc has built dist/, into the one file dist/cli/main.js: node then loads one
 * module instead of about two hundred, which takes about 200 ms off every start (BENCHMARKS.md, "Startup").
 * Our own code and the dependencies written in JavaScript alone (prom-client with its own, @noble/hashes) are
 * bundled: prom-client and what it requires (about ninety of the 108 files a start opened) found and loaded from
 * node_modules took 20–40 ms of every start (`--version`: 129–170 → 110–127 ms). The
 * dependencies with a native part (classic-level, fs-native-extensions) are loaded from node_modules as
 * installed, where their binaries are. The library entry points (dist/ots, dist/mirror) stay as tsc wrote them.
 * The other files tsc wrote in dist/cli are removed: nothing else imports the command line (the lint's layout
 * rule), so the bundle is their only user.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli');
const entry = join(cliDir, 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`bundle-cli: ${entry} is missing: run tsc -p tsconfig.build.json first\n`);
  process.exit(1);
}
await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // found where they are installed: they load a native binary from beside their own files
  external: ['classic-level', 'fs-native-extensions'],
  // the bundled CommonJS modules (prom-client) require node's own modules
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module';\nconst require = createRequireOfBundle(import.meta.url);" },
  // a source map when tsc wrote them (npm run build), pointing through them at src/
  sourcemap: existsSync(`${entry}.map`) ? 'linked' : false,
  logLevel: 'warning',
});
const kept = new Set(['main.js', 'main.js.map', 'main.d.ts', 'main.d.ts.map']);
for (const name of readdirSync(cliDir)) if (!kept.has(name)) rmSync(join(cliDir, name), { recursive: true });
