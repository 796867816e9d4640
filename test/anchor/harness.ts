// A calendar (real journal, index, HMAC key) in a temporary directory beside a real regtest node, a wallet of its own per test, and stampers on the calendar's state directory.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BitcoinRpc, type Chain, type RegtestNode, getChain, satsToAmount } from '../../src/bitcoin/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { type DataDir, openDataDir } from '../../src/calendar/data-dir.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Journal } from '../../src/journal/index.js';
import { createLogger } from '../../src/cli/log.js';
import type { Log } from '../../src/log/log.js';
import { type AnchorLedger, WalletStamper, type StamperSettings, satPerVbToKvB, REJECTION_FACTOR } from '../../src/anchor/index.js';
import { type Attestation, Timestamp, verifyBlockHeaderAttestation } from '../../src/ots/index.js';

export type LogLine = { level: string; msg: string } & Record<string, unknown>;

export interface CalendarFixture {
  dir: string;
  dataDir: DataDir;
  journal: Journal;
  index: CalendarIndex;
  calendar: Calendar;
  close(): Promise<void>;
}

export async function openCalendar(dir = mkdtempSync(join(tmpdir(), 'ots-anchor-'))): Promise<CalendarFixture> {
  const dataDir = openDataDir(dir, { defaultUri: 'http://127.0.0.1:14788' });
  const journal = await Journal.open({ dir: dataDir.journalDir, log: () => undefined });
  const index = await CalendarIndex.open({ dir: dataDir.indexDir, journal });
  const calendar = new Calendar({ journal, index, hmacKey: dataDir.hmacKey, uri: dataDir.uri });
  return {
    dir,
    dataDir,
    journal,
    index,
    calendar,
    async close() {
      index.close();
      await journal.close();
    },
  };
}

/** Commits `n` ticks (one random root each); returns their 44-byte commitments. */
export async function commit(cal: CalendarFixture, n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    await cal.calendar.commit(randomBytes(32));
    out.push(cal.index.commitment(cal.index.commitCount - 1));
  }
  return out;
}

export function captureLog(): { log: Log; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger({ format: 'json', level: 'debug', write: (line) => void lines.push(JSON.parse(line) as LogLine) });
  return { log: log.log, lines };
}

let walletSeq = 0;

/** A new wallet on `node`, funded with one confirmed output per amount (sats) from the mining wallet. */
export async function fundedWallet(node: RegtestNode, amounts: number[], name = `w${process.pid}-${++walletSeq}`): Promise<BitcoinRpc> {
  await node.rpc.createWallet(name);
  const wallet = node.rpc.withWallet(name);
  for (const sats of amounts) await fund(node, wallet, sats);
  if (amounts.length > 0) await node.mine(1);
  return wallet;
}

/** Sends `sats` from the mining wallet to a new address of `wallet` (unconfirmed until a block). */
export async function fund(node: RegtestNode, wallet: BitcoinRpc, sats: number): Promise<string> {
  const address = await wallet.getNewAddress();
  return String(await node.rpc.call('sendtoaddress', [address, satsToAmount(sats)], { idempotent: false, wallet: true }));
}

export function testSettings(over: Partial<StamperSettings> & { feeRate?: number; maxFee?: number; maxFeeRate?: number; feeIncrement?: number } = {}): StamperSettings {
  const { feeRate = 1, maxFee = 100_000, maxFeeRate = 500, feeIncrement = 1, ...rest } = over;
  return {
    confirmations: 3,
    minTxIntervalMs: 0,
    feeTargetBlocks: 6,
    maxCommitmentsPerTx: 100_000,
    fees: { fallbackRate: satPerVbToKvB(feeRate), increment: satPerVbToKvB(feeIncrement), maxRate: satPerVbToKvB(maxFeeRate), maxFee, rejectionFactor: REJECTION_FACTOR },
    ...rest,
  };
}

/** A stamper on the calendar's state directory, answering the calendar's 404 reasons (as startAnchoring wires it). */
export function openStamper(args: { cal: CalendarFixture; rpc: BitcoinRpc; log: Log; settings?: StamperSettings; chain?: Chain; ledger?: AnchorLedger }): WalletStamper {
  const stamper = WalletStamper.open({
    rpc: args.rpc,
    chain: args.chain ?? getChain('regtest'),
    ledger: args.ledger ?? args.cal.calendar,
    stateDir: args.cal.dataDir.stateDir,
    settings: args.settings ?? testSettings(),
    log: args.log,
  });
  args.cal.calendar.setPendingStatus((n) => stamper.pendingStatus(n));
  return stamper;
}

/**
 * Mines `n` blocks to a fresh address. After invalidateblock, mining to the same address within the same
 * second rebuilds the very block that was invalidated (same coinbase, same time), which the node refuses.
 */
export async function mineFresh(node: RegtestNode, n = 1): Promise<string[]> {
  return node.rpc.generateToAddress(n, await node.rpc.getNewAddress('reorg'));
}

/** Mines `n` blocks with only the coinbase: the mempool (our unconfirmed version) stays. */
export async function mineEmpty(node: RegtestNode, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await node.rpc.call('generateblock', [node.miningAddress, []], { idempotent: false });
}

/** Distinct wallet transactions carrying an OP_RETURN output: every version the wallet ever signed and saw broadcast. */
export async function opReturnTxids(wallet: BitcoinRpc): Promise<string[]> {
  const seen = new Set<string>();
  for (const t of await wallet.listTransactions('*', 1000)) {
    if (t.category !== 'send' || t.amount !== 0) continue;
    seen.add(t.txid);
  }
  return [...seen];
}

/**
 * Checks a complete proof end to end: it decodes from the commitment, and its one block attestation's
 * message equals the merkle root of the node's header at that height. Returns the attestation.
 */
export async function verifyProof(node: RegtestNode, commitment: Uint8Array, proof: Uint8Array): Promise<Attestation & { height: number }> {
  const ts = Timestamp.fromBytes(proof, commitment);
  const found = ts.allAttestations().filter((a) => a.attestation.kind === 'bitcoin' || a.attestation.kind === 'litecoin');
  if (found.length !== 1) throw new Error(`expected one block attestation, found ${found.length}`);
  const { msg, attestation } = found[0] as { msg: Uint8Array; attestation: Attestation & { height: number } };
  const hash = await node.rpc.getBlockHash(attestation.height);
  if (hash === null) throw new Error(`no block at height ${attestation.height}`);
  verifyBlockHeaderAttestation(msg, await node.rpc.getBlockHeaderRaw(hash));
  return attestation;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Log lines whose message contains `text`. */
export function linesWith(lines: readonly LogLine[], text: string): LogLine[] {
  return lines.filter((l) => l.msg.includes(text));
}
