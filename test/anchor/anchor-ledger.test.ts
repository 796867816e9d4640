// What the stamper takes from the calendar: pending ranges (skipping anchored and held commitments, capped) and the merkle tip, with leaves reused across versions.
import { describe, expect, it } from 'vitest';
import { type AnchorLedger, TipBuilder, pendingRanges, tipOf } from '../../src/anchor/index.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, sha256 } from '../../src/ots/index.js';
import { commit, openCalendar } from './harness.js';

describe('anchor ledger', () => {
  it('pending ranges skip anchored commitments and those held by a waiting transaction, oldest first, capped', async () => {
    const cal = await openCalendar();
    const cs = await commit(cal, 12);
    const tip = merkleRoot(cs.slice(2, 4).map((c) => sha256(c)));
    await cal.calendar.appendAnchor({ tip, ranges: [{ start: 2, end: 4 }], timestamp: encodePath([OP_SHA256], bitcoinAttestation(1)) });
    expect(pendingRanges(cal.calendar, 100, [{ start: 6, end: 8 }])).toEqual([{ start: 0, end: 2 }, { start: 4, end: 6 }, { start: 8, end: 12 }]);
    expect(pendingRanges(cal.calendar, 5, [{ start: 6, end: 8 }])).toEqual([{ start: 0, end: 2 }, { start: 4, end: 6 }, { start: 8, end: 9 }]);
    expect(Buffer.from(tipOf(cal.calendar, [{ start: 2, end: 4 }])).equals(Buffer.from(tip))).toBe(true);
    await cal.close();
  });

  it('the tip builder gives tipOf\'s root for every version and reads only commitments it has not seen', async () => {
    const cal = await openCalendar();
    await commit(cal, 40);
    let read = 0;
    const counting: AnchorLedger = {
      index: {
        get commitCount() {
          return cal.index.commitCount;
        },
        anchors: cal.index.anchors,
        anchorLeaves: (a) => {
          const leaves = cal.index.anchorLeaves(a);
          read += leaves.length;
          return leaves;
        },
      },
      appendAnchor: (a) => cal.calendar.appendAnchor(a),
      appendRevocation: (s, r) => cal.calendar.appendRevocation(s, r),
    };
    const builder = new TipBuilder(counting);
    const versions = [
      { ranges: [{ start: 0, end: 10 }], fresh: 10 },
      { ranges: [{ start: 0, end: 25 }], fresh: 15 },
      { ranges: [{ start: 0, end: 5 }, { start: 30, end: 40 }], fresh: 10 }, // a gap, and new ones past it
      { ranges: [{ start: 0, end: 5 }, { start: 30, end: 40 }], fresh: 0 },
      { ranges: [{ start: 10, end: 20 }], fresh: 10 }, // dropped from the cache by the previous version
    ];
    for (const v of versions) {
      read = 0;
      expect(Buffer.from(builder.tip(v.ranges)).equals(Buffer.from(tipOf(cal.calendar, v.ranges)))).toBe(true);
      expect(read).toBe(v.fresh);
    }
    await cal.close();
  });
});
