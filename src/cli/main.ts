#!/usr/bin/env -S node --max-semi-space-size=32 --heap-growing-percent=50
/** @module The `ots-calendar` command line: dispatches to each command, maps failures to exit codes (2 for the command line and configuration, 1 for everything else) and clear messages. */
import { ConfigError, helpText, readConfig, resolveConfig, type Config, type OptionSpec } from './config.js';
import { OPTIONS, type ConfigFor } from './options.js';
import { createLogger, type Level, type Logger } from './log.js';
import { VERSION } from './version.js';
import { CALENDAR_SUMMARY, calendarSettings, startCalendar } from './calendar-command.js';
import { MIRROR_SUMMARY, mirrorSettings, startMirror } from './mirror-command.js';
import { AGGREGATOR_SUMMARY, aggregatorSettings, startAggregator } from './aggregator-command.js';
import { runBackup, runReindex, runFsck } from './maintenance-commands.js';
import { runInfo } from './info.js';
import { installSignalHandlers } from './signals.js';
import { runDemo } from './demo-command.js';
import type { RoleName, RunningServer } from './serve-role.js';
import type { ServerSettings } from './server-settings.js';
import { IMPORT_OTSD_SUMMARY, runImportOtsd } from './import-otsd-command.js';
import { STAMPER_SUMMARY, stamperSettings, startStamper } from './stamper-command.js';

interface Command {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

/** A server role: its settings built once from its typed configuration, then started until a signal stops it. */
interface ServerRole<C extends RoleName, S extends ServerSettings> {
  summary: string;
  settings: (config: ConfigFor<C>) => { settings: S; problems: string[] };
  start: (settings: S, log: Logger) => Promise<RunningServer>;
}

const ROLES: { [C in RoleName]: ServerRole<C, ServerSettings> } = {
  calendar: { summary: CALENDAR_SUMMARY, settings: calendarSettings, start: (s, log) => startCalendar(s as ReturnType<typeof calendarSettings>['settings'], log) },
  mirror: { summary: MIRROR_SUMMARY, settings: mirrorSettings, start: (s, log) => startMirror(s as ReturnType<typeof mirrorSettings>['settings'], log) },
  aggregator: { summary: AGGREGATOR_SUMMARY, settings: aggregatorSettings, start: (s, log) => startAggregator(s as ReturnType<typeof aggregatorSettings>['settings'], log) },
  stamper: { summary: STAMPER_SUMMARY, settings: stamperSettings, start: (s, log) => startStamper(s as ReturnType<typeof stamperSettings>['settings'], log) },
};

function isRole(name: string): name is RoleName {
  return Object.hasOwn(ROLES, name);
}

function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

async function runRole(name: RoleName, argv: string[]): Promise<number> {
  const role = ROLES[name] as ServerRole<typeof name, ServerSettings>;
  if (wantsHelp(argv)) return help(name, role.summary);
  const { config } = resolveConfig(OPTIONS, name, argv);
  const { settings, problems } = role.settings(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const log = createLogger(settings.log);
  // before anything starts: a signal during start-up must stop the server, not kill the process
  const signals = installSignalHandlers({ log, timeoutMs: settings.shutdownTimeoutMs });
  let running: RunningServer;
  try {
    running = await role.start(settings, log);
  } catch (err) {
    signals.remove();
    throw err;
  }
  signals.running(running.stop);
  return signals.stopped;
}

function help(command: string, summary: string, usage?: string): number {
  process.stdout.write(helpText(OPTIONS, command, summary, usage));
  return 0;
}

async function withConfig<C extends 'reindex' | 'fsck' | 'backup' | 'import-otsd'>(command: C, argv: string[], run: (config: ConfigFor<C>) => Promise<number>): Promise<number> {
  if (wantsHelp(argv)) return help(command, COMMANDS[command]?.summary ?? '');
  return run(resolveConfig(OPTIONS, command, argv).config);
}

function loggerOf(c: { readonly 'log-level': Level; readonly 'log-format': 'auto' | 'json' | 'text' }): Logger {
  return createLogger({ level: c['log-level'], format: c['log-format'] });
}

/**
 * `check-config [--role R] [options]`: everything a role would read (file, environment, flags), every problem
 * at once, or each value with where it came from. Secrets are shown as "[set]".
 */
async function runCheckConfig(argv: string[]): Promise<number> {
  const at = argv.findIndex((a) => a === '--role' || a.startsWith('--role='));
  const roleArg = at < 0 ? 'calendar' : argv[at]?.includes('=') ? argv[at]?.slice('--role='.length) : argv[at + 1];
  const rest = at < 0 ? argv : argv.filter((_, i) => i !== at && (argv[at]?.includes('=') || i !== at + 1));
  if (wantsHelp(argv)) {
    process.stdout.write(
      `usage: ots-calendar check-config [--role ${Object.keys(ROLES).join('|')}] [options]\n\n${COMMANDS['check-config']?.summary}\nIt takes the options of the role it checks (default calendar): see ots-calendar <role> --help.\n`,
    );
    return 0;
  }
  if (roleArg === undefined || !isRole(roleArg)) throw new ConfigError([`--role: must be one of ${Object.keys(ROLES).join(', ')}, got ${JSON.stringify(roleArg ?? '')}`]);
  const role = ROLES[roleArg] as ServerRole<typeof roleArg, ServerSettings>;
  const read = readConfig(OPTIONS, roleArg, rest);
  const problems = [...read.problems, ...role.settings(read.config).problems];
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = read.config;
  for (const spec of (OPTIONS as readonly OptionSpec[]).filter((s) => s.commands.includes(roleArg))) {
    const v = config[spec.key];
    if (v === undefined) continue;
    const shown = spec.secret ? '[set]' : Array.isArray(v) ? v.join(', ') : String(v);
    process.stdout.write(`${spec.key} = ${shown}    # ${read.sources[spec.key]}\n`);
  }
  process.stdout.write(`configuration OK for ${roleArg}\n`);
  return 0;
}

const COMMANDS: Record<string, Command> = {
  calendar: { summary: CALENDAR_SUMMARY, run: (a) => runRole('calendar', a) },
  mirror: { summary: MIRROR_SUMMARY, run: (a) => runRole('mirror', a) },
  aggregator: { summary: AGGREGATOR_SUMMARY, run: (a) => runRole('aggregator', a) },
  stamper: { summary: STAMPER_SUMMARY, run: (a) => runRole('stamper', a) },
  reindex: { summary: 'Rebuild the index from the journal (the calendar must be stopped).', run: (a) => withConfig('reindex', a, (c) => runReindex(c, loggerOf(c))) },
  fsck: { summary: 'Check every journal record (frames, checksums, sequence, head hashes) and the index against it.', run: (a) => withConfig('fsck', a, (c) => runFsck(c, loggerOf(c))) },
  backup: { summary: 'Copy a calendar\'s data directory consistently while it runs: key, URI, anchoring state, journal (--to DIR).', run: (a) => withConfig('backup', a, (c) => runBackup(c, loggerOf(c))) },
  'import-otsd': { summary: IMPORT_OTSD_SUMMARY, run: (a) => withConfig('import-otsd', a, (c) => runImportOtsd(c, loggerOf(c))) },
  'check-config': { summary: 'Validate the configuration (file, environment, flags) of a role without starting anything; lists every problem at once.', run: runCheckConfig },
  demo: {
    summary: 'Run a local end-to-end demo: regtest node, calendar, stamp, mine, upgrade, verify, print the proof.',
    run: async (a) => {
      if (wantsHelp(a)) {
        process.stdout.write('usage: ots-calendar demo\n\nStarts a litecoind regtest node and a calendar in temporary directories, stamps a file, mines, upgrades,\nverifies the proof against the node, prints it, and cleans everything up.\n');
        return 0;
      }
      if (a.length > 0) throw new ConfigError([`unexpected argument ${a.map((x) => JSON.stringify(x)).join(', ')} for "demo" (it takes none)`]);
      return runDemo();
    },
  },
  info: {
    summary: 'Print an .ots proof as `ots info` does.',
    run: async (a) => {
      if (wantsHelp(a)) {
        process.stdout.write('usage: ots-calendar info FILE.ots\n\nPrints the proof tree in the layout of `ots info`; exits 1 with the error on an invalid file.\n');
        return 0;
      }
      const options = a.filter((x) => x.startsWith('-') && x !== '-');
      if (options.length > 0 || a.length !== 1) throw new ConfigError([options.length > 0 ? `unknown option ${options[0]} for "info" (it takes one FILE.ots)` : 'info takes exactly one FILE.ots']);
      return runInfo(a, (s) => void process.stdout.write(s), (s) => void process.stderr.write(s));
    },
  },
};

function usage(): string {
  const lines = [`ots-calendar ${VERSION} — an OpenTimestamps calendar server`, '', 'usage: ots-calendar <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.summary}`);
  lines.push('', 'ots-calendar <command> --help shows its options.');
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`ots-calendar ${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`ots-calendar: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ots-calendar ${name}: invalid configuration:\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 2;
    }
    const err = e as Error & { code?: unknown };
    process.stderr.write(`ots-calendar ${name}: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`ots-calendar: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
