/**
 * The client API: a local mirror of a calendar (a real calendar process), synced while the calendar is online,
 * upgrades a `.ots` file after the calendar is gone, to exactly the file an online upgrade gives.
 */
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { DetachedTimestampFile, OP_SHA256, Timestamp, opAppend } from '../../src/ots/index.js';
import { LocalMirrors, upgradeTimestamp } from '../../src/mirror/index.js';
import { startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';
import { syntheticAnchorTimestamp, tipOf } from './fixtures/journal-builder.js';

/** What `ots stamp` does for one file against one calendar: digest, nonce, sha256, POST, merge the answer. */
async function stamp(calendar: string, content: Uint8Array): Promise<Uint8Array> {
  const digest = createHash('sha256').update(content).digest();
  const root = new Timestamp(digest);
  const tip = root.add(opAppend(randomBytes(16))).add(OP_SHA256);
  const r = await fetch(`${calendar}/digest`, { method: 'POST', body: tip.msg });
  expect(r.status).toBe(200);
  tip.merge(Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), tip.msg));
  return new DetachedTimestampFile(OP_SHA256, root).toBytes();
}

describe('upgrading from a local mirror', () => {
  it('completes a .ots file with the calendar offline, as an online upgrade would', async () => {
    const dataDir = tempDir('otsm-client-up-');
    let cal = await startCalendarProcess({ dataDir, tickMs: 50 });
    const port = cal.port;
    const mirrorsDir = tempDir('otsm-client-');
    const files = [await stamp(cal.url, new TextEncoder().encode('first file\n')), await stamp(cal.url, new TextEncoder().encode('second file\n'))];

    let mirrors = await LocalMirrors.open({ dir: mirrorsDir, calendars: [`${cal.url}/`] });
    const [synced] = await mirrors.sync();
    expect(synced?.error).toBeUndefined();
    expect(synced?.progress?.localSize).toBe(2);
    const pending = mirrors.upgradeFile(files[0] as Uint8Array);
    expect(pending.report).toMatchObject({ upgraded: 0, complete: false, notMirrored: [] });
    expect(pending.report.pending[0]?.reason).toBe('Pending confirmation in Bitcoin blockchain');
    expect(Buffer.from(pending.bytes).equals(Buffer.from(files[0] as Uint8Array))).toBe(true);

    // the calendar anchors both commitments (an anchor record written while it is stopped)
    expect((await cal.stop()).code).toBe(0);
    const journal = await Journal.open({ dir: join(dataDir, 'journal'), log: () => undefined });
    const index = await CalendarIndex.open({ dir: join(dataDir, 'index'), journal });
    await journal.append([{ type: 'anchor', anchor: { tip: tipOf(index.commitments(0, 2)), ranges: [{ start: 0, end: 2 }], timestamp: syntheticAnchorTimestamp(777_777) } }]);
    index.close();
    await journal.close();
    cal = await startCalendarProcess({ dataDir, port, tickMs: 50 });

    // what an online client gets: each pending node merged with the calendar's answer
    const online: Uint8Array[] = [];
    for (const bytes of files) {
      const file = DetachedTimestampFile.fromBytes(bytes);
      const answers = new Map<string, Uint8Array>();
      for (const { msg, attestation } of file.timestamp.allAttestations()) {
        if (attestation.kind !== 'pending') continue;
        const r = await fetch(`${cal.url}/timestamp/${Buffer.from(msg).toString('hex')}`);
        expect(r.status).toBe(200);
        answers.set(Buffer.from(msg).toString('hex'), new Uint8Array(await r.arrayBuffer()));
      }
      upgradeTimestamp(file.timestamp, (_uri, c) => {
        const proof = answers.get(Buffer.from(c).toString('hex'));
        return proof ? { kind: 'complete', proof } : undefined;
      });
      online.push(file.toBytes());
    }

    const [again] = await mirrors.sync();
    expect(again?.progress?.localSize).toBe(3);
    await mirrors.close();
    expect((await cal.stop()).code).toBe(0);

    // offline from here: the mirror opens and upgrades without the calendar
    mirrors = await LocalMirrors.open({ dir: mirrorsDir, calendars: [cal.url] });
    try {
      const [offline] = await mirrors.sync();
      expect(offline?.error?.name).toBe('UpstreamUnavailableError');
      for (const [i, bytes] of files.entries()) {
        const { bytes: upgraded, report } = mirrors.upgradeFile(bytes);
        expect(report).toEqual({ upgraded: 1, complete: true, pending: [], notMirrored: [] });
        expect(Buffer.from(upgraded).equals(Buffer.from(online[i] as Uint8Array))).toBe(true);
        const heights = DetachedTimestampFile.fromBytes(upgraded).timestamp.allAttestations().map((a) => a.attestation);
        expect(heights).toContainEqual({ kind: 'bitcoin', height: 777_777 });
        expect(heights).toContainEqual({ kind: 'pending', uri: cal.url });
      }
      // a calendar that is not mirrored is reported, not contacted
      const foreign = new Timestamp(randomBytes(32));
      foreign.add(opAppend(randomBytes(8))).attest({ kind: 'pending', uri: 'https://elsewhere.example' });
      expect(mirrors.upgrade(foreign)).toEqual({ upgraded: 0, complete: false, pending: [], notMirrored: ['https://elsewhere.example'] });
    } finally {
      await mirrors.close();
    }
  });
});
