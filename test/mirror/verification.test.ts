/**
 * Upstreams that serve doctored records (through a proxy that rewrites the journal API's answers): a damaged
 * chunk, a rewritten record with a valid checksum, and a forged anchor with a consistent hash chain. Each time the
 * mirror process stores none of it, keeps all it had, says why (log, status, metrics, readiness) and keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord, type JournalRecord } from '../../src/journal/index.js';
import { tempDir } from '../fixtures/calendar-process.js';
import { buildJournal, fakeCommitment, syntheticAnchorTimestamp, tipOf, type BuiltJournal } from './fixtures/journal-builder.js';
import { startDoctoringProxy, type Doctor, type RelayedRecord } from './fixtures/doctoring-proxy.js';
import { getTimestamp, mirrorStatus, startMirrorProcess, until } from './fixtures/mirror-process.js';
import { startInProcessUpstream, type InProcessUpstream } from './fixtures/upstream-server.js';

let up: InProcessUpstream;
let built: BuiltJournal;

beforeAll(async () => {
  const dir = tempDir('otsm-verify-up-');
  built = await buildJournal(dir, { count: 3_000, anchorEvery: 1_000, leavePending: 500 });
  up = await startInProcessUpstream(dir);
});

afterAll(async () => {
  await up?.close();
});

/** Doctors the first record at or after `from` that `pick` accepts; passes everything else through. */
function doctorFrom(from: number, pick: (r: JournalRecord) => boolean, change: (r: RelayedRecord) => Uint8Array): Doctor {
  return (records) => {
    const i = records.findIndex((r) => r.record.seq >= from && pick(r.record));
    if (i < 0) return undefined;
    return records.map((r, k) => (k === i ? change(r) : r.raw));
  };
}

/** Three new records on the upstream: two commitments and an honest anchor over them (older ones stay pending). */
async function appendBatch(): Promise<Uint8Array[]> {
  const fresh = [fakeCommitment(1_750_000_000), fakeCommitment(1_750_000_001)];
  const n = up.index.commitCount;
  await up.append([
    ...fresh.map((commitment) => ({ type: 'commit' as const, commitment })),
    { type: 'anchor', anchor: { tip: tipOf(fresh), ranges: [{ start: n, end: n + 2 }], timestamp: syntheticAnchorTimestamp(990_000) } },
  ]);
  return fresh;
}

async function rejects(doctor: Doctor, fixHashes: boolean, code: string, message: RegExp): Promise<void> {
  const proxy = await startDoctoringProxy(up.url);
  const mirror = await startMirrorProcess({ upstream: proxy.url, args: ['--poll-wait-ms', '1000'] });
  try {
    const held = up.journal.head().size;
    await until(async () => (await mirrorStatus(mirror.url)).mirror.records === held, 'the mirror caught up honestly');
    const before = await (await fetch(`${mirror.url}/journal/head`)).json();
    const pendingBefore = await getTimestamp(mirror.url, built.commitments[2_900] as Uint8Array);
    const completeBefore = await getTimestamp(mirror.url, built.commitments[10] as Uint8Array);
    expect(pendingBefore.status).toBe(404);
    expect(completeBefore.status).toBe(200);

    proxy.setDoctor(doctor, { fixHashes });
    const fresh = await appendBatch();
    const failed = await mirror.waitFor((r) => r['msg'] === 'mirror stopped following: the upstream served data that does not verify; nothing of it was stored, the mirror keeps serving what it verified before');
    expect(proxy.doctored).toBeGreaterThan(0);
    expect(failed['code']).toBe(code);
    expect(String(failed['error'])).toMatch(message);

    // nothing accepted, nothing lost
    const status = await mirrorStatus(mirror.url);
    expect(status.mirror.following).toBe(false);
    expect(status.mirror.state).toBe('failed');
    expect(status.mirror.failureCode).toBe(code);
    expect(status.mirror.failure).toMatch(message);
    expect(await (await fetch(`${mirror.url}/journal/head`)).json()).toEqual(before);
    expect((await getTimestamp(mirror.url, fresh[0] as Uint8Array)).status).toBe(404);
    expect((await getTimestamp(mirror.url, fresh[0] as Uint8Array)).body.toString()).toBe('Not found');
    // still serving what it verified, the same bytes as before
    const pendingAfter = await getTimestamp(mirror.url, built.commitments[2_900] as Uint8Array);
    const completeAfter = await getTimestamp(mirror.url, built.commitments[10] as Uint8Array);
    expect(pendingAfter.body.equals(pendingBefore.body)).toBe(true);
    expect(completeAfter.status).toBe(200);
    expect(completeAfter.body.equals(completeBefore.body)).toBe(true);
    const metrics = await (await fetch(`${mirror.url}/metrics`)).text();
    expect(metrics).toContain(`ots_mirror_verification_failures_total{code="${code}"} 1`);
    expect(metrics).toMatch(/^ots_mirror_following 0$/m);
    const ready = await fetch(`${mirror.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain(code);
  } finally {
    expect((await mirror.stop()).code).toBe(0);
    await proxy.close();
  }
}

describe('a mirror facing doctored records', () => {
  it('rejects a damaged chunk (checksum)', async () => {
    await rejects(
      doctorFrom(0, (r) => r.type === 'commit', (r) => {
        const raw = new Uint8Array(r.raw);
        raw[20] = (raw[20] as number) ^ 0xff;
        return raw;
      }),
      false,
      'mirror-record-corrupt',
      /corrupt: record checksum mismatch/,
    );
  });

  it('rejects a rewritten record whose checksum was fixed (head hash)', async () => {
    const from = up.journal.head().size;
    await rejects(
      doctorFrom(from, (r) => r.type === 'commit', (r) => {
        if (r.record.type !== 'commit') throw new Error('not a commit');
        const commitment = new Uint8Array(r.record.commitment);
        commitment[10] = (commitment[10] as number) ^ 1;
        return encodeRecord({ ...r.record, commitment });
      }),
      false,
      'mirror-head-hash',
      /head hash mismatch .* upstream rewrote its journal or serves another one/,
    );
  });

  it('rejects a forged anchor even when every checksum and hash agrees (merkle tip)', async () => {
    const from = up.journal.head().size;
    await rejects(
      doctorFrom(from, (r) => r.type === 'anchor', (r) => {
        if (r.record.type !== 'anchor') throw new Error('not an anchor');
        const tip = new Uint8Array(r.record.anchor.tip);
        tip[0] = (tip[0] as number) ^ 1;
        return encodeRecord({ ...r.record, anchor: { ...r.record.anchor, tip } });
      }),
      true,
      'mirror-anchor-tip',
      /anchor record \d+ is forged: it states tip [0-9a-f]{64}, its commitments give [0-9a-f]{64}/,
    );
  });
});
