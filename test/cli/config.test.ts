import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, resolveConfig, parseConfigFile, envName } from '../../src/cli/config.js';
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
    writeFileSync(file, '# a calendar\nport = 15000\ntick-ms = 500   # faster\nhost = 0.0.0.0\n');
    const env = { [envName('port')]: '15001', [envName('tick-ms')]: '250' };
    const { config, sources } = resolveConfig(OPTIONS, 'calendar', ['--config', file, '--port', '15002'], env);
    expect(config['port']).toBe(15002);
    expect(config['tick-ms']).toBe(250);
    expect(config['host']).toBe('0.0.0.0');
    expect(config['max-queue']).toBe(100_000);
    expect(sources['tick-ms']).toBe('OTS_CALENDAR_TICK_MS');
    expect(sources['host']).toBe(`${file}:4`);
  });

  it('names the key, the source and what is allowed for every bad value', () => {
    const p = problems(() => resolveConfig(OPTIONS, 'calendar', ['--port', 'eighty', '--tick-ms', '5', '--log-level', 'loud', '--uri', 'http://x/a?b', '--bogus', '1'], {}));
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
    const p = problems(() => resolveConfig(OPTIONS, 'calendar', ['--config', '/nonexistent/ots.conf'], {}));
    expect(p[0]).toMatch(/cannot read \/nonexistent\/ots.conf: ENOENT/);
  });

  it('parses booleans both ways', () => {
    expect(resolveConfig(OPTIONS, 'calendar', ['--access-log'], {}).config['access-log']).toBe(true);
    expect(resolveConfig(OPTIONS, 'calendar', ['--no-access-log'], { [envName('access-log')]: 'yes' }).config['access-log']).toBe(false);
    expect(problems(() => resolveConfig(OPTIONS, 'calendar', ['--access-log=maybe'], {}))[0]).toMatch(/must be true or false/);
  });
});
