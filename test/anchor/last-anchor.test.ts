// The last anchor the stamper reports (/metrics: ots_last_anchor_block_height and _time_seconds): its block's
// height and header time, kept in the state file across a restart, and kept however deep the block gets,
// though older anchors leave the reorg watch after ANCHOR_WATCH_BLOCKS. (litecoind -regtest cannot mine past
// MWEB's activation height without MWEB transactions, so the node here never activates it.)
import { describe, expect, it } from 'vitest';
import { ANCHOR_WATCH_BLOCKS } from '../../src/anchor/index.js';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { captureLog, commit, fundedWallet, openCalendar, openStamper, testSettings } from './harness.js';

const h = useRegtestNode({ extraArgs: ['-vbparams=mweb:9999999999:9999999999'] });

describe('last anchor', () => {
  it('is the newest anchor written: its height and block time, across a restart and beyond the watch window', async () => {
    const cal = await openCalendar();
    const wallet = await fundedWallet(h.node, [50_000_000]);
    const { log } = captureLog();
    const settings = testSettings({ confirmations: 1 });
    const stamper = openStamper({ cal, rpc: wallet, log, settings });
    expect(stamper.lastAnchor()).toBeUndefined();

    const anchorOnce = async (): Promise<number> => {
      await commit(cal, 2);
      await stamper.poll();
      const [hash] = await h.node.mine(1);
      await stamper.poll();
      const header = await wallet.getBlockHeader(hash as string);
      expect(stamper.lastAnchor()).toMatchObject({ height: header.height, blockTime: header.time });
      return header.height;
    };
    await anchorOnce();
    const second = await anchorOnce();
    expect(stamper.state.anchored).toHaveLength(2);

    // restart: the state file has it
    const reopened = openStamper({ cal, rpc: wallet, log, settings });
    expect(reopened.lastAnchor()).toEqual(stamper.lastAnchor());

    // far below the tip: the older anchor leaves the watch, the newest stays the last anchor
    await h.node.mine(ANCHOR_WATCH_BLOCKS + 2);
    const tip = await wallet.getBlockCount();
    for (let polls = 0; (reopened.state.lastBlock?.height ?? 0) < tip; polls++) {
      expect(polls).toBeLessThan(100);
      await reopened.poll();
    }
    expect(reopened.state.anchored.map((a) => a.block.height)).toEqual([second]);
    expect(reopened.lastAnchor()?.height).toBe(second);
    await cal.close();
  });
});
