/** @module `ots-calendar import-otsd`: the node that checks attestations, progress lines, and the summary (src/takeover/README.md); its options are in import-otsd-options.ts. */
import { BitcoinRpc, checkGenesis, getChain } from '../bitcoin/index.js';
import { AttestationChecker, nodeHeaderSource } from '../mirror/attestation-check.js';
import { bytesToHex } from '../ots/index.js';
import { importOtsd } from '../takeover/import-otsd.js';
import { TakeoverError } from '../takeover/errors.js';
import { ConfigError } from './config.js';
import type { Logger } from './log.js';
import type { ConfigFor } from './options.js';
import { progressReporter } from './progress.js';

export const IMPORT_OTSD_SUMMARY = 'Take over a reference calendar (otsd): import its directory into a data directory, offline.';

async function attestationChecker(chainName: string, url: string | undefined, cookie: string | undefined, log: Logger): Promise<AttestationChecker | undefined> {
  const chain = getChain(chainName);
  if (url === undefined && cookie === undefined) {
    log.warn('no --rpc-url: attestations are imported as the reference stored them, without asking a node whether they are still true');
    return undefined;
  }
  const rpc = new BitcoinRpc({ url: url ?? `http://127.0.0.1:${chain.rpcPort}`, retries: 2, ...(cookie ? { cookieFile: cookie } : {}) });
  try {
    await checkGenesis(rpc, chain);
  } catch (cause) {
    throw new TakeoverError(`the node at ${rpc.endpoint} cannot check attestations: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  log.info('attestations are checked against a node', { node: rpc.endpoint, chain: chain.name });
  return new AttestationChecker(nodeHeaderSource(rpc), chain.attestation);
}

export async function runImportOtsd(config: ConfigFor<'import-otsd'>, log: Logger): Promise<number> {
  if (config.from === undefined) throw new ConfigError(['"from" is required: --from <otsd calendar directory>']);
  const chain = getChain(config.chain);
  const checker = await attestationChecker(
    chain.name,
    config['rpc-url'],
    config['rpc-cookie'],
    log,
  );
  const reporters = new Map<string, (done: number, total: number) => void>();
  const dataDir = config['data-dir'];
  const started = performance.now();
  const summary = await importOtsd({
    from: config.from,
    dataDir,
    attestation: chain.attestation === 'litecoin' ? 'litecoin' : 'bitcoin',
    ...(checker ? { checker } : {}),
    log: log.log,
    progress: (phase, done, total) => {
      let r = reporters.get(phase);
      if (!r) reporters.set(phase, (r = progressReporter(log, phase)));
      r(done, total);
    },
  });
  const staleCommitments = summary.stale.reduce((s, a) => s + a.leafCount, 0);
  log.info(summary.alreadyComplete ? 'import-otsd: this import was complete already; nothing written' : 'import-otsd: done', {
    dataDir,
    commitments: summary.entries,
    legacy: summary.legacy,
    anchors: summary.anchors,
    anchoredCommitments: summary.anchoredCommitments,
    pending: summary.pending + staleCommitments,
    staleAnchors: summary.stale.map((s) => ({ tip: bytesToHex(s.tip), heights: s.heights, commitments: s.leafCount })),
    recordsFound: summary.recordsFound,
    recordsAppended: summary.recordsAppended,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
  log.info(`next: ots-calendar fsck --data-dir ${dataDir}, then ots-calendar calendar --data-dir ${dataDir} --chain ${chain.name} on the reference's address`);
  return 0;
}
