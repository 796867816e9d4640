// The `info` command: stdout on success, python's messages on stderr and the exit codes on failure.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runInfo } from '../../src/cli/info.js';
import { VECTORS } from './helpers.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runInfo(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('runInfo', () => {
  it('prints the tree of a valid file and returns 0', async () => {
    const r = await run([`${VECTORS}two-calendars.txt.ots`]);
    expect(r).toEqual({ code: 0, out: readFileSync(`${VECTORS}expected/py-info/two-calendars.txt.ots.txt`, 'utf8'), err: '' });
  });

  it('prints python’s message for an invalid file and returns 1', async () => {
    const path = `${VECTORS}invalid/invalid-file-digest-type.ots`;
    expect(await run([path])).toEqual({ code: 1, out: '', err: `Invalid timestamp file '${path}': Unknown unary op tag 0xf3\n` });
    const notOts = `${VECTORS}hello-world.txt`;
    expect(await run([notOts])).toEqual({ code: 1, out: '', err: `Error! '${notOts}' is not a timestamp file.\n` });
  });

  it('returns 1 for a missing file and 2 for a wrong argument count', async () => {
    const missing = await run([`${VECTORS}does-not-exist.ots`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^Could not read '.*does-not-exist\.ots': ENOENT/);
    expect((await run([])).code).toBe(2);
    expect((await run(['a', 'b'])).code).toBe(2);
  });
});
