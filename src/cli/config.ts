/** @module Configuration: one schema for the config file, environment variables and flags (in that order of precedence), with checks that name the key and what is allowed. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'list';

export interface OptionSpec {
  key: string;
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[];
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Never printed back (check-config shows "[set]"). */
  secret?: boolean;
  /** Commands that take it. */
  commands: readonly string[];
  /** Extra check; returns a problem description. */
  check?: (v: ConfigValue) => string | undefined;
}

export type ConfigValue = string | number | boolean | string[];
export type Config = Record<string, ConfigValue | undefined>;

export class ConfigError extends Error {
  readonly code = 'config';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Environment variable for a key: OTS_CALENDAR_ + upper snake case. */
export function envName(key: string): string {
  return 'OTS_CALENDAR_' + key.toUpperCase().replace(/-/g, '_');
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  // systemd's StateDirectory= sets STATE_DIRECTORY
  const state = env['STATE_DIRECTORY']?.split(':')[0];
  return state || join(homedir(), '.ots-calendar');
}

/** Parses `key = value` lines; `#` starts a comment; list values repeat the key. */
export function parseConfigFile(text: string, source: string): Array<{ key: string; value: string; where: string }> {
  const out: Array<{ key: string; value: string; where: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const m = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    // the line itself is not echoed: a mistyped line may hold a secret
    if (!m) throw new ConfigError([`${source}:${i + 1}: expected "key = value" (a lower-case key, "=", then the value)`]);
    out.push({ key: m[1] as string, value: (m[2] as string).replace(/^"(.*)"$/, '$1'), where: `${source}:${i + 1}` });
  });
  return out;
}

export interface ParsedArgs {
  positional: string[];
  flags: Array<{ key: string; value: string | true; negated: boolean }>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: ParsedArgs['flags'] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) flags.push({ key: name, value: a.slice(eq + 1), negated: false });
      else if (name.startsWith('no-')) flags.push({ key: name.slice(3), value: true, negated: true });
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags.push({ key: name, value: next, negated: false });
          i++;
        } else flags.push({ key: name, value: true, negated: false });
      }
    } else if (a === '-h') flags.push({ key: 'help', value: true, negated: false });
    else positional.push(a);
  }
  return { positional, flags };
}

function convert(spec: OptionSpec, raw: string | true, negated: boolean, where: string): { value?: ConfigValue; problem?: string } {
  const bad = (allowed: string): { problem: string } => ({ problem: `${where}: "${spec.key}" ${allowed}, got ${JSON.stringify(raw)}` });
  switch (spec.type) {
    case 'bool':
      if (raw === true) return { value: !negated };
      if (/^(true|yes|on|1)$/i.test(raw)) return { value: !negated };
      if (/^(false|no|off|0)$/i.test(raw)) return { value: negated };
      return bad('must be true or false');
    case 'int':
    case 'number': {
      if (raw === true) return bad('needs a value');
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) return bad(spec.type === 'int' ? 'must be a whole number' : 'must be a number');
      if (spec.min !== undefined && n < spec.min) return bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return bad(`must be at most ${spec.max}`);
      return { value: n };
    }
    case 'enum':
      if (raw === true || !spec.values?.includes(raw)) return bad(`must be one of ${spec.values?.join(', ')}`);
      return { value: raw };
    case 'list':
      if (raw === true) return bad('needs a value');
      return { value: [raw] };
    case 'string':
      if (raw === true) return bad('needs a value');
      return { value: raw };
  }
}

/**
 * Resolves the configuration of `command`: defaults, then the file (`--config`), then the environment,
 * then flags. Every problem is collected, each naming its key, source and what is allowed.
 */
export function resolveConfig(schema: readonly OptionSpec[], command: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { config: Config; positional: string[]; sources: Record<string, string> } {
  const specs = new Map(schema.filter((s) => s.commands.includes(command)).map((s) => [s.key, s]));
  const { positional, flags } = parseArgs(argv);
  const problems: string[] = [];
  const config: Config = {};
  const sources: Record<string, string> = {};
  for (const s of specs.values()) {
    if (s.default === undefined) continue;
    config[s.key] = s.default;
    sources[s.key] = 'default';
  }

  const set = (key: string, raw: string | true, negated: boolean, where: string, listReset: Set<string>): void => {
    const spec = specs.get(key);
    if (!spec) {
      problems.push(`${where}: unknown option "${key}" for "${command}" (see ots-calendar ${command} --help)`);
      return;
    }
    const r = convert(spec, raw, negated, where);
    if (r.problem) return void problems.push(r.problem);
    if (r.value === undefined) return;
    if (spec.type === 'list') {
      const prev = listReset.has(key) ? (config[key] as string[]) : [];
      listReset.add(key);
      config[key] = [...prev, ...(r.value as string[])];
    } else config[key] = r.value;
    if (spec.check) {
      const p = spec.check(config[key] as ConfigValue);
      if (p) problems.push(`${where}: "${key}" ${p}`);
    }
    sources[key] = where;
  };

  const configFlag = flags.filter((f) => f.key === 'config').at(-1);
  const configPath = configFlag?.value === true ? undefined : (configFlag?.value ?? env[envName('config')]);
  if (configFlag?.value === true) problems.push('--config needs a file name');
  if (configPath && specs.has('config')) {
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
      const seen = new Set<string>();
      for (const e of parseConfigFile(text, configPath)) set(e.key, e.value, false, e.where, seen);
      config['config'] = configPath;
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else problems.push(`--config: cannot read ${configPath}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const envSeen = new Set<string>();
  for (const s of specs.values()) {
    if (s.key === 'config') continue;
    const v = env[envName(s.key)];
    if (v !== undefined && v !== '') set(s.key, v, false, envName(s.key), envSeen);
  }
  const flagSeen = new Set<string>();
  for (const f of flags) if (f.key !== 'config') set(f.key, f.value, f.negated, `--${f.key}`, flagSeen);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, positional, sources };
}

export function helpText(schema: readonly OptionSpec[], command: string, summary: string): string {
  const lines = [`usage: ots-calendar ${command} [options]`, '', summary, '', 'options (also config-file keys, and environment variables OTS_CALENDAR_<KEY>):'];
  for (const s of schema.filter((x) => x.commands.includes(command))) {
    const arg = s.type === 'bool' ? '' : s.type === 'enum' ? ` <${s.values?.join('|')}>` : ` <${s.type === 'list' ? 'value' : s.type}>`;
    const def = s.default === undefined || s.secret ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    lines.push(`  --${s.key}${arg}`.padEnd(34) + ` ${s.help}${def}`);
  }
  lines.push('  --help'.padEnd(34) + ' show this help');
  return lines.join('\n') + '\n';
}
