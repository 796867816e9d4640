/** @module `reindex` (rebuild the derived index from the journal), `fsck` (check journal and index end to end) and `backup` (a consistent copy of a running calendar). */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DataDirError } from '../calendar/data-dir.js';
import { hotCopy } from '../calendar/hot-copy.js';
import { bytesToHex } from '../ots/index.js';
import { ConfigError } from './config.js';
import { Journal, verifyJournal } from '../journal/index.js';
import { CalendarIndex, IndexMismatchError, lastIndexedLocation, removeIndexFiles, trustedIndexedLocation } from '../index/index.js';
import { merkleRoot } from '../ots/index.js';
import type { Logger } from './log.js';
import type { Config } from './config.js';
import type { ConfigFor } from './options.js';
import { progressReporter } from './progress.js';

function dirs(config: Config): { journalDir: string; indexDir: string } {
  const root = String(config['data-dir']);
  const journalDir = join(root, 'journal');
  if (!existsSync(journalDir)) throw new DataDirError(`no journal in ${root} (is --data-dir right?)`);
  return { journalDir, indexDir: join(root, 'index') };
}

export async function runReindex(config: Config, log: Logger): Promise<number> {
  const { journalDir, indexDir } = dirs(config);
  const started = performance.now();
  // the old index still says how far the journal was durable: never let recovery cut below that (unless the
  // index is damaged itself: then it says nothing, and is rebuilt from the journal like any other)
  const verifiedUpTo = trustedIndexedLocation(indexDir, log.log);
  const journal = await Journal.open({ dir: journalDir, log: log.log, verifiedBy: `the index (${indexDir})`, ...(verifiedUpTo ? { verifiedUpTo } : {}) });
  removeIndexFiles(indexDir);
  log.info('rebuilding the index from the journal', { records: journal.head().size });
  const index = await CalendarIndex.open({ dir: indexDir, journal, log: log.log, progress: progressReporter(log, 'reindex') });
  const seconds = (performance.now() - started) / 1000;
  log.info('index rebuilt', { records: journal.head().size, commitments: index.commitCount, anchors: index.anchors.size, seconds: Math.round(seconds * 100) / 100 });
  index.close();
  await journal.close();
  return 0;
}

export async function runFsck(config: Config, log: Logger): Promise<number> {
  const { journalDir, indexDir } = dirs(config);
  const report = await verifyJournal(journalDir, progressReporter(log, 'checking journal'));
  const problems = [...report.problems];
  if (problems.length > 0) {
    // fsck only reads: opening the journal would run recovery, which may cut records
    for (const p of problems) log.error('fsck', { problem: p });
    log.error('fsck: the journal has problems; nothing was changed', { records: report.records, problems: problems.length });
    return 1;
  }
  let verifiedUpTo: ReturnType<typeof lastIndexedLocation>;
  try {
    verifiedUpTo = lastIndexedLocation(indexDir);
  } catch (err) {
    if (!(err instanceof IndexMismatchError)) throw err;
    log.error('fsck', { problem: err.message });
    log.error('fsck: the journal is sound; the index is damaged (derived: ots-calendar reindex rebuilds it); nothing was changed', { records: report.records, problems: 1 });
    return 1;
  }
  if (verifiedUpTo !== undefined && verifiedUpTo.seq >= report.records) {
    const problem = `the index saw journal record ${verifiedUpTo.seq} durable, but the journal ends at record ${report.records}: records were lost (a segment file removed or cut?); restore the journal from a backup or a mirror`;
    log.error('fsck', { problem });
    log.error('fsck: problems found; nothing was changed', { records: report.records, problems: 1 });
    return 1;
  }
  const journal = await Journal.open({ dir: journalDir, log: log.log, verifiedBy: `the index (${indexDir})`, ...(verifiedUpTo ? { verifiedUpTo } : {}) });
  const index = await CalendarIndex.open({ dir: indexDir, journal, log: log.log });
  let commits = 0;
  for await (const { record } of journal.scan(0)) {
    if (record.type !== 'commit') continue;
    if (index.commitNumberOf(record.commitment) !== commits) problems.push(`commit record ${record.seq} is not found in the index as commitment ${commits}`);
    commits++;
  }
  if (commits !== index.commitCount) problems.push(`journal holds ${commits} commit records, index ${index.commitCount}`);
  for (const a of index.anchors.all()) {
    const root = merkleRoot(index.anchorLeaves(a));
    if (Buffer.compare(root, a.tip) !== 0) problems.push(`anchor record ${a.seq}: its tip is not the merkle tip of the commitments it names`);
  }
  index.close();
  await journal.close();
  for (const p of problems) log.error('fsck', { problem: p });
  log.info(problems.length === 0 ? 'fsck: all good' : 'fsck: problems found', { records: report.records, commitments: commits, problems: problems.length });
  return problems.length === 0 ? 0 : 1;
}

/** `backup --to DIR`: a copy that a calendar can be started on (see src/calendar/hot-copy.ts); safe beside a running calendar. */
export async function runBackup(config: ConfigFor<'backup'>, log: Logger): Promise<number> {
  if (config.to === undefined) throw new ConfigError(['"to" is required: the new or empty directory the backup goes into (--to DIR)']);
  const started = performance.now();
  const report = await hotCopy(config['data-dir'], config.to, log.log);
  log.info('backup written', {
    to: config.to,
    records: report.head.size,
    headHash: bytesToHex(report.head.hash),
    files: report.files,
    bytes: report.bytes,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  });
  process.stdout.write(
    `backup of ${report.head.size} journal records written to ${config.to}\n` +
      `restore: stop the calendar, move the directory into place (or start with --data-dir ${config.to}); the index is rebuilt on the first start\n` +
      `keep it where the key is safe: ${config.to}/hmac-key lets whoever reads it make commitments in this calendar's name\n`,
  );
  return 0;
}
