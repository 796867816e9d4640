/**
 * @module Configuration: one schema for the config file, environment variables and flags (in that order of precedence), strict about everything it does not know, with checks that name the key and what is allowed, and a typed configuration per command derived from the schema.
 *
 * Strictness (an operator's typo must never be silently ignored):
 * - a flag, short flag or positional argument the command does not take stops the command (exit 2);
 * - an `OTS_CALENDAR_*` variable or a config-file key that no command takes stops it too; one that another
 *   command takes is ignored, so one file and one environment serve a unit and its maintenance commands;
 * - in a config file, `#` starts a comment only at the start of a line; a `#` in a value must be quoted
 *   (`operator = "Example #1"`), an unquoted one is refused rather than cut.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'list';

export type ConfigValue = string | number | boolean | readonly string[];

export interface OptionSpec {
  readonly key: string;
  readonly type: OptionType;
  readonly help: string;
  readonly default?: string | number | boolean | readonly string[];
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Never printed back (check-config shows "[set]"). */
  readonly secret?: boolean;
  /** Commands that take it. */
  readonly commands: readonly string[];
  /** Extra check; returns a problem description. */
  readonly check?: (v: ConfigValue) => string | undefined;
}

/** The value type an option resolves to. */
type ValueOf<S extends OptionSpec> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'list' }
      ? readonly string[]
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : string;

/**
 * The configuration of command `C` as the schema declares it: one property per option the command takes, of
 * the option's type, never undefined when the option has a default.
 */
export type ConfigOf<Specs extends readonly OptionSpec[], C extends string> = {
  readonly [S in Specs[number] as C extends S['commands'][number] ? S['key'] : never]: S extends { default: unknown } ? ValueOf<S> : ValueOf<S> | undefined;
};

/** Untyped view, for code that walks the schema (help, check-config). */
export type Config = Readonly<Record<string, ConfigValue | undefined>>;

export class ConfigError extends Error {
  readonly code = 'config';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const ENV_PREFIX = 'OTS_CALENDAR_';

/** Environment variable for a key: OTS_CALENDAR_ + upper snake case. */
export function envName(key: string): string {
  return ENV_PREFIX + key.toUpperCase().replace(/-/g, '_');
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  // systemd's StateDirectory= sets STATE_DIRECTORY
  const state = env['STATE_DIRECTORY']?.split(':')[0];
  return state || join(homedir(), '.ots-calendar');
}

/**
 * Parses `key = value` lines. A line starting with `#` is a comment; a value may be quoted with double quotes
 * (then it may hold `#`, and a comment may follow the closing quote); an unquoted value holding `#` is refused.
 * List values repeat the key. Lines are never echoed in errors: a mistyped line may hold a secret.
 */
export function parseConfigFile(text: string, source: string): Array<{ key: string; value: string; where: string }> {
  const out: Array<{ key: string; value: string; where: string }> = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${source}:${i + 1}`;
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) return void problems.push(`${where}: expected "key = value" (a lower-case key, "=", then the value)`);
    const key = m[1] as string;
    const rest = m[2] as string;
    if (rest.startsWith('"')) {
      const q = /^"([^"]*)"\s*(#.*)?$/.exec(rest);
      if (!q) return void problems.push(`${where}: "${key}" has a quoted value that does not end with a closing quote (only a comment may follow it)`);
      out.push({ key, value: q[1] as string, where });
      return;
    }
    if (rest.includes('#')) {
      return void problems.push(`${where}: "${key}" has "#" in its value; quote the value ("…") to keep it, or put the comment on a line of its own`);
    }
    out.push({ key, value: rest, where });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

export interface ParsedArgs {
  positional: string[];
  flags: Array<{ key: string; value: string | true; negated: boolean }>;
  /** Short flags other than -h, which no command takes. */
  unknownShort: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: ParsedArgs['flags'] = [];
  const unknownShort: string[] = [];
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
    else if (/^-[^-\d]/.test(a)) unknownShort.push(a);
    else positional.push(a);
  }
  return { positional, flags, unknownShort };
}

function convert(spec: OptionSpec, raw: string | true, negated: boolean, where: string): { value?: ConfigValue; problem?: string } {
  const bad = (allowed: string): { problem: string } => ({ problem: `${where}: "${spec.key}" ${allowed}, got ${spec.secret ? '[a secret value]' : JSON.stringify(raw)}` });
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

export interface ReadConfig<Specs extends readonly OptionSpec[], C extends string> {
  config: ConfigOf<Specs, C>;
  positional: string[];
  /** Where each value came from: `default`, `FILE:LINE`, `OTS_CALENDAR_…` or `--flag`. */
  sources: Record<string, string>;
  /** Every problem found, each naming its key, source and what is allowed; empty when all is well. */
  problems: string[];
}

export interface ReadOptions {
  env?: NodeJS.ProcessEnv;
  /** Positional arguments the command takes (default none): more is a problem. */
  maxPositional?: number;
}

/**
 * Reads the configuration of `command`: defaults, then the file (`--config`), then the environment, then flags,
 * collecting every problem instead of stopping at the first (check-config shows them all). A value with a
 * problem keeps its default.
 */
export function readConfig<const Specs extends readonly OptionSpec[], const C extends string>(schema: Specs, command: C, argv: readonly string[], opts: ReadOptions = {}): ReadConfig<Specs, C> {
  const env = opts.env ?? process.env;
  const specs = new Map<string, OptionSpec>(schema.filter((s) => s.commands.includes(command)).map((s) => [s.key, s]));
  const known = new Set(schema.map((s) => s.key));
  const { positional, flags, unknownShort } = parseArgs(argv);
  const problems: string[] = [];
  const config: Record<string, ConfigValue | undefined> = {};
  const sources: Record<string, string> = {};
  for (const s of specs.values()) {
    if (s.default === undefined) continue;
    config[s.key] = s.default;
    sources[s.key] = 'default';
  }
  for (const s of unknownShort) problems.push(`${s}: unknown option for "${command}"; options are spelled out, e.g. --port (see ots-calendar ${command} --help)`);
  const maxPositional = opts.maxPositional ?? 0;
  if (positional.length > maxPositional) {
    const stray = positional.slice(maxPositional).map((p) => JSON.stringify(p)).join(', ');
    problems.push(`unexpected argument ${stray} for "${command}" (options are --key value; see ots-calendar ${command} --help)`);
  }

  /** A source other than a flag may hold keys of other commands (one file, one environment for all). */
  const set = (key: string, raw: string | true, negated: boolean, where: string, listSeen: Set<string>, otherCommandsOk: boolean): void => {
    const spec = specs.get(key);
    if (!spec) {
      if (otherCommandsOk && known.has(key)) return;
      problems.push(`${where}: unknown option "${key}" for "${command}" (see ots-calendar ${command} --help)`);
      return;
    }
    const r = convert(spec, raw, negated, where);
    if (r.problem) return void problems.push(r.problem);
    if (r.value === undefined) return;
    if (spec.type === 'list') {
      const prev = listSeen.has(key) ? (config[key] as readonly string[]) : [];
      listSeen.add(key);
      config[key] = [...prev, ...(r.value as readonly string[])];
    } else config[key] = r.value;
    if (spec.check) {
      const p = spec.check(config[key] as ConfigValue);
      if (p) problems.push(`${where}: "${key}" ${p}`);
    }
    sources[key] = where;
  };

  const configFlag = flags.filter((f) => f.key === 'config').at(-1);
  if (configFlag?.value === true) problems.push('--config needs a file name');
  const configPath = configFlag === undefined ? env[envName('config')] : configFlag.value === true ? undefined : configFlag.value;
  if (configPath && specs.has('config')) {
    try {
      const text = readFileSync(configPath, 'utf8');
      const seen = new Set<string>();
      for (const e of parseConfigFile(text, configPath)) set(e.key, e.value, false, e.where, seen, true);
      config['config'] = configPath;
      sources['config'] = configFlag === undefined ? envName('config') : '--config';
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else problems.push(`--config: cannot read ${configPath}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const envSeen = new Set<string>();
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || v === undefined || v === '') continue;
    const key = name.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-');
    if (key === 'config') continue;
    set(key, v, false, name, envSeen, true);
  }
  const flagSeen = new Set<string>();
  for (const f of flags) if (f.key !== 'config' && f.key !== 'help') set(f.key, f.value, f.negated, `--${f.key}`, flagSeen, false);
  return { config: config as ConfigOf<Specs, C>, positional, sources, problems };
}

/** {@link readConfig} that throws a {@link ConfigError} listing every problem. */
export function resolveConfig<const Specs extends readonly OptionSpec[], const C extends string>(
  schema: Specs,
  command: C,
  argv: readonly string[],
  opts: ReadOptions = {},
): Omit<ReadConfig<Specs, C>, 'problems'> {
  const { problems, ...rest } = readConfig(schema, command, argv, opts);
  if (problems.length > 0) throw new ConfigError(problems);
  return rest;
}

export function helpText(schema: readonly OptionSpec[], command: string, summary: string, usage = `ots-calendar ${command} [options]`): string {
  const lines = [`usage: ${usage}`, '', summary, '', 'options (also config-file keys, and environment variables OTS_CALENDAR_<KEY>):'];
  for (const s of schema.filter((x) => x.commands.includes(command))) {
    const arg = s.type === 'bool' ? '' : s.type === 'enum' ? ` <${s.values?.join('|')}>` : ` <${s.type === 'list' ? 'value' : s.type}>`;
    const def = s.default === undefined || s.secret ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    lines.push(`  --${s.key}${arg}`.padEnd(34) + ` ${s.help}${def}`);
  }
  lines.push('  --help'.padEnd(34) + ' show this help');
  return lines.join('\n') + '\n';
}
