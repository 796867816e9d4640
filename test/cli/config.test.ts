import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readConfig, resolveConfig, parseConfigFile, envName } from '../../src/cli/config.js';
import { OPTIONS } from '../../src/cli/options.js';

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('configuration', () => {
  it('takes defaults, then the file, then the environment, then flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-cfg-'));
    const file = join(dir, 'c.conf');
    writeFileSync(file, '# a calendar\nport = 15000\n# faster\ntick-ms = 500\nhost = 0.0.0.0\n');
    const env = { [envName('port')]: '15001', [envName('tick-ms')]: '250' };
    const { config, sources } = resolveConfig(OPTIONS, 'calendar', ['--config', file, '--port', '15002'], { env });
    expect(config['port']).toBe(15002);
    expect(config['tick-ms']).toBe(250);
    expect(config['host']).toBe('0.0.0.0');
    expect(config['max-queue']).toBe(100_000);
    expect(sources['tick-ms']).toBe('OTS_CALENDAR_TICK_MS');
    expect(sources['host']).toBe(`${file}:5`);
  });

  it('names the key, the source and what is allowed for every bad value', () => {
    const p = problems(() => resolveConfig(OPTIONS, 'calendar', ['--port', 'eighty', '--tick-ms', '5', '--log-level', 'loud', '--uri', 'http://x/a?b', '--bogus', '1'], { env: {} }));
    expect(p).toEqual([
      '--port: "port" must be a whole number, got "eighty"',
      '--tick-ms: "tick-ms" must be at least 10, got "5"',
      '--log-level: "log-level" must be one of debug, info, warn, error, got "loud"',
      '--uri: "uri" may only contain A-Z a-z 0-9 - . _ / : (the OpenTimestamps pending-attestation rule)',
      '--bogus: unknown option "bogus" for "calendar" (see ots-calendar calendar --help)',
    ]);
  });

  it('reports a malformed config file line with its location', () => {
    expect(() => parseConfigFile('port = 1\nthis is wrong\n', 'x.conf')).toThrow(/x\.conf:2: expected "key = value"/);
    const p = problems(() => resolveConfig(OPTIONS, 'calendar', ['--config', '/nonexistent/ots.conf'], { env: {} }));
    expect(p[0]).toMatch(/cannot read \/nonexistent\/ots.conf: ENOENT/);
  });

  it('parses booleans both ways', () => {
    expect(resolveConfig(OPTIONS, 'calendar', ['--access-log'], { env: {} }).config['access-log']).toBe(true);
    expect(resolveConfig(OPTIONS, 'calendar', ['--no-access-log'], { env: { [envName('access-log')]: 'yes' } }).config['access-log']).toBe(false);
    expect(problems(() => resolveConfig(OPTIONS, 'calendar', ['--access-log=maybe'], { env: {} }))[0]).toMatch(/must be true or false/);
  });
});

describe('a strict command line', () => {
  const noEnv = { env: {} };

  it('refuses an unknown short flag and a stray positional argument, naming each', () => {
    const p = problems(() => resolveConfig(OPTIONS, 'calendar', ['--data-dir', '/tmp/x', '-p', '18999', 'stray-arg'], noEnv));
    expect(p).toEqual([
      '-p: unknown option for "calendar"; options are spelled out, e.g. --port (see ots-calendar calendar --help)',
      'unexpected argument "18999", "stray-arg" for "calendar" (options are --key value; see ots-calendar calendar --help)',
    ]);
  });

  it('refuses an OTS_CALENDAR_ variable that no command takes, and ignores one another command takes', () => {
    expect(problems(() => resolveConfig(OPTIONS, 'calendar', [], { env: { OTS_CALENDAR_TIKC_MS: '100' } }))).toEqual([
      'OTS_CALENDAR_TIKC_MS: unknown option "tikc-ms" for "calendar" (see ots-calendar calendar --help)',
    ]);
    // the calendar unit's environment also serves `ots-calendar reindex`
    expect(problems(() => resolveConfig(OPTIONS, 'reindex', [], { env: { OTS_CALENDAR_CHAIN: 'regtest' } }))).toEqual([]);
  });

  it('refuses a config-file key that no command takes; a flag must be the command\'s own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-cfg-'));
    const file = join(dir, 'c.conf');
    writeFileSync(file, 'chain = regtest\noperatr = Example\n');
    expect(problems(() => resolveConfig(OPTIONS, 'reindex', ['--config', file], noEnv))).toEqual([`${file}:2: unknown option "operatr" for "reindex" (see ots-calendar reindex --help)`]);
    expect(problems(() => resolveConfig(OPTIONS, 'reindex', ['--chain', 'regtest'], noEnv))).toEqual(['--chain: unknown option "chain" for "reindex" (see ots-calendar reindex --help)']);
  });

  it('never cuts a value at "#": quoted it is kept, unquoted it is refused', () => {
    expect(parseConfigFile('operator = "Eco #1 <ops@example.org>"  # who\n', 'c.conf')).toEqual([{ key: 'operator', value: 'Eco #1 <ops@example.org>', where: 'c.conf:1' }]);
    expect(() => parseConfigFile('operator = Eco # comment\n', 'c.conf')).toThrow('c.conf:1: "operator" has "#" in its value; quote the value ("…") to keep it, or put the comment on a line of its own');
    expect(() => parseConfigFile('operator = "Eco\n', 'c.conf')).toThrow(/c\.conf:1: "operator" has a quoted value that does not end/);
  });

  it('collects every problem of a file at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otsc-cfg-'));
    const file = join(dir, 'c.conf');
    writeFileSync(file, 'port = eighty\nbogus = 1\noperator = a # b\ntick-ms = 1\n');
    const read = readConfig(OPTIONS, 'mirror', ['--config', file], noEnv);
    expect(read.problems).toEqual([
      `${file}:3: "operator" has "#" in its value; quote the value ("…") to keep it, or put the comment on a line of its own`,
    ]);
    writeFileSync(file, 'port = eighty\nbogus = 1\ntick-ms = 1\n');
    expect(readConfig(OPTIONS, 'mirror', ['--config', file], noEnv).problems).toEqual([
      `${file}:1: "port" must be a whole number, got "eighty"`,
      `${file}:2: unknown option "bogus" for "mirror" (see ots-calendar mirror --help)`,
      `${file}:3: "tick-ms" must be at least 10, got "1"`,
    ]);
  });
});
