#!/usr/bin/env -S node --max-semi-space-size=32
/** @module The `ots-calendar` command line: dispatches to each command, maps failures to exit codes and clear messages. */
import { ConfigError, helpText, resolveConfig, type Config } from './config.js';
import { OPTIONS } from './options.js';
import { createLogger, type Level, type Logger } from './log.js';
import { VERSION } from './version.js';
import { startCalendar } from './calendar-command.js';
import { runReindex, runFsck } from './maintenance-commands.js';
import { runInfo } from './info.js';
import { installSignalHandlers } from './signals.js';
import { runDemo } from './demo-command.js';
import { checkAnchorConfig } from '../anchor/settings.js';
import { MIRROR_SUMMARY, runMirror } from './mirror-command.js';
import { AGGREGATOR_SUMMARY, runAggregator } from './aggregator-command.js';

interface Command {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  calendar: { summary: 'Run a calendar: aggregate digests, keep the journal and index, serve proofs.', run: runCalendar },
  mirror: { summary: MIRROR_SUMMARY, run: runMirror },
  aggregator: { summary: AGGREGATOR_SUMMARY, run: runAggregator },
  reindex: { summary: 'Rebuild the index from the journal (the calendar must be stopped).', run: (a) => withConfig('reindex', a, runReindex) },
  fsck: { summary: 'Check every journal record (frames, checksums, sequence, head hashes) and the index against it.', run: (a) => withConfig('fsck', a, runFsck) },
  'check-config': { summary: 'Validate the configuration (file, environment, flags) without starting anything.', run: runCheckConfig },
  demo: {
    summary: 'Run a local end-to-end demo: regtest node, calendar, stamp, mine, upgrade, verify, print the proof.',
    run: async (a) => {
      if (a.includes('--help') || a.includes('-h')) {
        process.stdout.write('usage: ots-calendar demo\n\nStarts a litecoind regtest node and a calendar in temporary directories, stamps a file, mines, upgrades,\nverifies the proof against the node, prints it, and cleans everything up.\n');
        return 0;
      }
      return runDemo();
    },
  },
  info: {
    summary: 'Print an .ots proof as `ots info` does.',
    run: async (a) => {
      if (a.includes('--help') || a.includes('-h')) {
        process.stdout.write('usage: ots-calendar info FILE.ots\n\nPrints the proof tree in the layout of `ots info`; exits 1 with the error on an invalid file.\n');
        return 0;
      }
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

function loggerFor(config: Config): Logger {
  return createLogger({
    level: (config['log-level'] as Level | undefined) ?? 'info',
    format: (config['log-format'] as 'auto' | 'json' | 'text' | undefined) ?? 'auto',
    ...(typeof config['log-file'] === 'string' ? { file: config['log-file'] } : {}),
  });
}

async function withConfig(command: string, argv: string[], run: (config: Config, log: Logger, positional: string[]) => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(OPTIONS, command, COMMANDS[command]?.summary ?? ''));
    return 0;
  }
  const { config, positional } = resolveConfig(OPTIONS, command, argv);
  return run(config, loggerFor(config), positional);
}

async function runCalendar(argv: string[]): Promise<number> {
  return withConfig('calendar', argv, async (config, log) => {
    const running = await startCalendar(config, log);
    return installSignalHandlers({ log, stop: running.stop, timeoutMs: Number(config['shutdown-timeout-ms']) });
  });
}

async function runCheckConfig(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(helpText(OPTIONS, 'check-config', COMMANDS['check-config']?.summary ?? ''));
    return 0;
  }
  const { config, sources } = resolveConfig(OPTIONS, 'check-config', argv);
  // options that are each fine but wrong together (e.g. a fee rate above the maximum)
  const crossProblems = checkAnchorConfig(config);
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  for (const spec of OPTIONS.filter((s) => s.commands.includes('check-config'))) {
    const v = config[spec.key];
    if (v === undefined) continue;
    process.stdout.write(`${spec.key} = ${spec.secret ? '[set]' : Array.isArray(v) ? v.join(', ') : String(v)}    # ${sources[spec.key]}\n`);
  }
  process.stdout.write('configuration OK\n');
  return 0;
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
  const command = COMMANDS[name];
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
