/**
 * @module The chain watching every strategy that pays with a transaction shares (the wallet's own, and donated ones): following blocks one at a time, noting our transactions mined, putting them back after a reorg, counting confirmations, writing the anchor record at depth, and revoking an anchor whose block a deeper reorg undid.
 *
 * The tracker keeps no state of its own: it works on the owner's persisted state (`lastBlock`, `waiting`,
 * `anchored`) and calls the owner's `save` after each change, so the owner's state file stays the one record
 * of what it paid for (DESIGN §2, "Local state that is not mirrored"). Calls come from the owner's poll, one
 * at a time.
 */
import { type BitcoinRpc, type Chain, RpcFailure } from '../bitcoin/index.js';
import type { Log } from '../log/log.js';
import { type AnchorLedger, type AnchorNote, countOf } from './anchor-ledger.js';
import { type ChainReader, ChainFollower } from './chain-follower.js';
import type { Conditions } from './conditions.js';
import { type ProofReader, checkAnchoredBlocks, depthOf, proofForMinedTx } from './confirmations.js';
import { StateWriteError } from './errors.js';
import type { AnchoredTx, BlockRef, TxRef, WaitingTx } from './stamper-state.js';

/** Blocks visited per poll at most, so a long catch-up still lets stop() in between polls. */
const MAX_BLOCKS_PER_POLL = 200;

/** The part of an owner's state the tracker works on. */
export interface TrackedState {
  /** The last block whose transactions were looked at; null before the first contact with the node. */
  lastBlock: BlockRef | null;
  /** Transactions mined and waiting for depth, or (mined null) back in the mempool after a reorg. */
  waiting: WaitingTx[];
  /** Anchor records written for mined transactions, watched for reorgs deeper than the depth. */
  anchored: AnchoredTx[];
}

/** Where the node has one of our transactions; the wallet asks its wallet, a donated transaction the node itself. */
export interface TxLookup {
  anyInMempool(versions: readonly TxRef[]): Promise<boolean>;
  findMined(versions: readonly TxRef[]): Promise<{ txid: string; block: BlockRef } | null>;
  /** True when the node took it again (or has it in a block); false when it is gone for good. */
  rebroadcast(txid: string): Promise<boolean>;
}

export interface TxTrackerOptions {
  rpc: ChainReader & ProofReader & Pick<BitcoinRpc, 'getBlockHash'>;
  lookup: TxLookup;
  ledger: AnchorLedger;
  chain: Chain;
  confirmations: number;
  state: () => TrackedState;
  /** Durable on return; throws StateWriteError. */
  save: () => void;
  log: Log;
  conditions: Conditions;
  /**
   * Called first for each new block, with its txids: the owner notes its own transactions not yet tracked (the
   * wallet's open cycle, a donated transaction nobody posted). May look at the block through the node; the block
   * counts as processed only once it has settled.
   */
  onBlock?: (block: BlockRef, txids: ReadonlySet<string>) => void | Promise<void>;
  /** What the anchor record of a transaction at depth is noted with (who paid; the txid is added). */
  noteOf?: (tx: TxRef) => AnchorNote;
  /** Called after an anchor was written (by the tracker, for a transaction at depth). */
  onAnchored?: (a: AnchoredTx, tx: TxRef) => void;
}

export class TxTracker {
  readonly #o: TxTrackerOptions;
  readonly #follower: ChainFollower;
  #anchorsCheckedAt: string | undefined;

  constructor(o: TxTrackerOptions) {
    this.#o = o;
    this.#follower = new ChainFollower(o.rpc);
  }

  // ---- 1. the chain ----

  /** Visits blocks until the node's best block; false when the per-poll budget ran out first. */
  async follow(): Promise<boolean> {
    const s = this.#o.state();
    for (let i = 0; i < MAX_BLOCKS_PER_POLL; i++) {
      const step = await this.#follower.step(s.lastBlock);
      if (step.kind === 'idle') return true;
      if (step.kind === 'start') {
        s.lastBlock = step.tip;
        this.#o.save();
        this.#o.log('info', 'following the chain from its tip', { height: step.tip.height, block: step.tip.hash });
        return true;
      }
      if (step.kind === 'connect') {
        await this.#onConnect(step.block, step.txids);
        s.lastBlock = step.block;
      } else {
        await this.#onDisconnect(step.block, step.parent);
        s.lastBlock = step.parent;
      }
      this.#o.save();
    }
    return false;
  }

  async #onConnect(block: BlockRef, txids: readonly string[]): Promise<void> {
    const ids = new Set(txids);
    await this.#o.onBlock?.(block, ids);
    for (const w of this.#o.state().waiting) {
      const again = w.mined === null ? w.versions.find((v) => ids.has(v.txid)) : undefined;
      if (again === undefined) continue;
      w.mined = { txid: again.txid, block };
      this.#o.log('info', 'transaction mined again after a reorg', { txid: again.txid, height: block.height });
    }
  }

  async #onDisconnect(block: BlockRef, parent: BlockRef): Promise<void> {
    const s = this.#o.state();
    this.#o.log('warn', 'block left the best chain', { height: block.height, block: block.hash });
    for (const w of s.waiting) {
      if (w.mined !== null && w.mined.block.height > parent.height) this.unmined(w);
    }
    for (const a of s.anchored.filter((x) => x.block.height > parent.height)) await this.revoke(a);
  }

  /** The block of a waiting transaction left the chain: tracked again from the mempool (the caller saves). */
  unmined(w: WaitingTx): void {
    const m = w.mined;
    if (m === null) return;
    this.#o.log('warn', 'mined transaction unconfirmed again: its block left the chain', { txid: m.txid, height: m.block.height });
    // The version that was mined is back in the mempool (it goes first: it is the one broadcast again), but
    // a block of the new branch may hold any other version of its cycle (miners' mempools differ): all stay
    // recognised, or that block's version would be paid for a second time.
    const back = w.versions.find((v) => v.txid === m.txid) as TxRef;
    w.versions = [back, ...w.versions.filter((v) => v !== back)];
    w.mined = null;
  }

  /** Revocation record first (unless already revoked), then the state: a crash in between repeats neither wrongly. */
  async revoke(a: AnchoredTx): Promise<void> {
    const s = this.#o.state();
    const info = this.#o.ledger.index.anchors.get(a.seq);
    if (info !== undefined && !info.revoked) {
      const reason = `reorg deeper than ${this.#o.confirmations} confirmations: block ${a.block.hash} at height ${a.block.height} left the best chain`;
      await this.#o.ledger.appendRevocation(a.seq, reason);
    }
    s.anchored = s.anchored.filter((x) => x !== a);
    // Tracked again like any transaction whose block left the chain (section 3).
    if (info !== undefined) s.waiting.push({ versions: [{ txid: a.txid, tip: info.tip, ranges: [...info.ranges] }], mined: null });
    this.#o.save();
    this.#o.log('error', 'anchor revoked by a deep reorg; its commitments are pending again', { seq: a.seq, txid: a.txid, height: a.block.height });
  }

  // ---- 2. anchors ----

  /** The safety net: anchored blocks no longer on the chain (found however the follower missed them) are revoked too. */
  async watchAnchors(tip: BlockRef): Promise<void> {
    if (this.#anchorsCheckedAt === tip.hash) return;
    const s = this.#o.state();
    const newest = s.anchored.at(-1);
    const { gone, watched } = await checkAnchoredBlocks(this.#o.rpc, s.anchored, tip.height);
    // the newest anchor stays in the state however deep it is: it is the last anchor that /metrics reports
    if (newest !== undefined && !gone.includes(newest) && !watched.includes(newest)) watched.push(newest);
    for (const a of gone) await this.revoke(a);
    if (watched.length !== s.anchored.length) {
      s.anchored = watched;
      this.#o.save();
    }
    this.#anchorsCheckedAt = tip.hash;
  }

  // ---- 3. back in the mempool ----

  async checkBackInMempool(): Promise<void> {
    const s = this.#o.state();
    for (const w of [...s.waiting]) {
      if (w.mined !== null || (await this.#o.lookup.anyInMempool(w.versions))) continue;
      const mined = await this.#o.lookup.findMined(w.versions);
      const tx = w.versions[0] as TxRef;
      if (mined !== null) w.mined = mined;
      else if (await this.#o.lookup.rebroadcast(tx.txid)) continue;
      else {
        s.waiting = s.waiting.filter((x) => x !== w);
        this.#o.log('warn', 'transaction dropped after a reorg; its commitments go into the next transaction', { txid: tx.txid, commitments: countOf(tx.ranges) });
      }
      this.#o.save();
    }
  }

  // ---- 4. depth ----

  /** Mined transactions at the depth: the proof re-checked against the header, the anchor record appended, then the state. */
  async confirm(tip: BlockRef): Promise<void> {
    const s = this.#o.state();
    for (const w of [...s.waiting]) {
      const m = w.mined;
      if (m === null || depthOf(m.block.height, tip.height) < this.#o.confirmations) continue;
      const v = w.versions.find((x) => x.txid === m.txid) as TxRef;
      try {
        const proof = await proofForMinedTx(this.#o.rpc, { txid: m.txid, block: m.block, tip: v.tip, attestation: this.#o.chain.attestation });
        if (proof.kind === 'stale') {
          // A block the follower never disconnects (found ahead of it in the mempool check, or left behind by
          // a node that lost it): without this the transaction would wait on it forever.
          this.unmined(w);
          this.#o.save();
          continue;
        }
        const seq = await this.#o.ledger.appendAnchor({ tip: v.tip, ranges: v.ranges, timestamp: proof.timestamp }, { ...this.#o.noteOf?.(v), txid: m.txid });
        s.waiting = s.waiting.filter((x) => x !== w);
        if (seq === null) {
          // another strategy anchored every one of its commitments first: nothing to record, nothing to watch
          this.#o.save();
          this.#o.log('warn', 'mined transaction not recorded: its commitments were anchored first by another strategy', { txid: m.txid, height: m.block.height, commitments: countOf(v.ranges) });
          continue;
        }
        const anchored: AnchoredTx = { seq, txid: m.txid, block: m.block, blockTime: proof.blockTime };
        s.anchored.push(anchored);
        this.#o.save();
        this.#o.conditions.clear('anchor-failed');
        this.#o.log('info', 'commitments anchored', { txid: m.txid, height: m.block.height, commitments: countOf(v.ranges), seq, bytes: proof.timestamp.length });
        this.#o.onAnchored?.(anchored, v);
      } catch (err) {
        if (err instanceof RpcFailure || err instanceof StateWriteError) throw err;
        this.#o.conditions.raise('anchor-failed', 'error', `cannot anchor transaction ${m.txid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** The newest anchor written and not revoked: its block height and, when known, its block time (unix seconds). */
  lastAnchor(): { seq: number; height: number; blockTime: number | undefined } | undefined {
    const a = this.#o.state().anchored.at(-1);
    return a === undefined ? undefined : { seq: a.seq, height: a.block.height, blockTime: a.blockTime };
  }

  /** Ranges held by waiting transactions: the mined version's, or every version's while back in the mempool. */
  held(): TxRef['ranges'] {
    const out: TxRef['ranges'] = [];
    for (const w of this.#o.state().waiting) {
      const versions = w.mined === null ? w.versions : w.versions.filter((v) => v.txid === w.mined?.txid);
      for (const v of versions) out.push(...v.ranges);
    }
    return out;
  }
}
