/**
 * A real calendar process anchored on a real litecoind -regtest node, and a real mirror process that checks every
 * anchor's attestation against the same node: pending and complete answers byte for byte the calendar's, the
 * mirror serving on while the calendar is down, and its status, metrics and readiness saying so.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { BITCOIN_TAG, Timestamp, bitcoinAttestation, litecoinAttestation, pendingAttestation } from '../../src/ots/index.js';
import { decodeBackupChunk, encodeBackupChunk } from '../../src/mirror/index.js';
import { buildJournal } from './fixtures/journal-builder.js';
import { encodeRecord } from '../../src/journal/index.js';
import { startDoctoringProxy } from './fixtures/doctoring-proxy.js';
import { untilBroadcast, useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { getTimestamp, mirrorStatus, startMirrorProcess, until } from './fixtures/mirror-process.js';

const regtest = useRegtestNode();

async function submit(url: string): Promise<Uint8Array> {
  const digest = new Uint8Array(randomBytes(32));
  const r = await fetch(`${url}/digest`, { method: 'POST', body: digest });
  expect(r.status).toBe(200);
  const [pending] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
  if (pending?.attestation.kind !== 'pending') throw new Error('no pending attestation in the answer');
  return pending.msg;
}

async function sameAnswers(a: string, b: string, commitments: readonly Uint8Array[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const c of commitments) {
    const [x, y] = await Promise.all([getTimestamp(a, c), getTimestamp(b, c)]);
    expect(y.status).toBe(x.status);
    expect(y.body.equals(x.body)).toBe(true);
    expect(y.cacheControl).toBe(x.cacheControl);
    statuses.push(x.status);
  }
  return statuses;
}

describe('mirror of an anchored calendar', () => {
  it('answers as the calendar, pending and complete, and serves on while it is down', async () => {
    const node = regtest.node;
    const dataDir = tempDir('otsm-e2e-up-');
    let cal: CalendarProcess = await startCalendarProcess({ dataDir, tickMs: 50 });
    const port = cal.port;
    const mirror = await startMirrorProcess({ upstream: cal.url, args: ['--rpc-url', node.rpcUrlWithCredentials, '--chain', 'regtest', '--poll-wait-ms', '2000'] });
    try {
      const commitments: Uint8Array[] = [];
      for (let i = 0; i < 6; i++) commitments.push(await submit(cal.url));
      await until(async () => (await mirrorStatus(mirror.url)).commitments === 6, 'the mirror holds the 6 commitments');
      // both give the reference's pending reason, with the same caching
      expect(await sameAnswers(cal.url, mirror.url, commitments)).toEqual([404, 404, 404, 404, 404, 404]);
      expect((await getTimestamp(mirror.url, commitments[0] as Uint8Array)).body.toString()).toBe('Pending confirmation in Bitcoin blockchain');

      // the calendar goes away: the mirror keeps answering
      expect((await cal.stop()).code).toBe(0);
      expect((await getTimestamp(mirror.url, commitments[3] as Uint8Array)).status).toBe(404);
      expect((await fetch(`${mirror.url}/healthz`)).status).toBe(200);

      // back with anchoring on the node: one transaction, one confirmation, one anchor record
      cal = await startCalendarProcess({
        dataDir,
        port,
        tickMs: 50,
        args: ['--chain', 'regtest', '--rpc-url', node.rpcUrlWithCredentials, '--rpc-wallet', node.walletName, '--confirmations', '1', '--min-tx-interval', '0', '--poll-interval-ms', '100'],
      });
      await untilBroadcast(node, cal.url);
      await node.mine(1);
      await until(async () => (await getTimestamp(cal.url, commitments[5] as Uint8Array)).status === 200, 'the calendar anchored', 20_000);
      await until(async () => (await getTimestamp(mirror.url, commitments[5] as Uint8Array)).status === 200, 'the mirror has the anchor', 20_000);
      expect(await sameAnswers(cal.url, mirror.url, commitments)).toEqual([200, 200, 200, 200, 200, 200]);
      const status = await mirrorStatus(mirror.url);
      expect(status.role).toBe('mirror');
      expect(status.upstreams).toEqual([cal.url]);
      expect(status.mirror.following).toBe(true);
      expect((status.mirror as unknown as { attestationsChecked: number }).attestationsChecked).toBeGreaterThanOrEqual(1);
      const metrics = await (await fetch(`${mirror.url}/metrics`)).text();
      expect(metrics).toMatch(/^ots_mirror_lag_seconds \d/m);
      expect(metrics).toMatch(/^ots_mirror_attestations_checked_total [1-9]/m);
      expect(metrics).toMatch(/^ots_mirror_following 1$/m);
      expect(metrics).not.toMatch(/^ots_mirror_verification_failures_total\{/m);
      expect((await fetch(`${mirror.url}/readyz`)).status).toBe(200);

      // an upstream that moves the anchor's attestation to another block (checksums and hashes made to agree)
      const proxy = await startDoctoringProxy(cal.url);
      proxy.setDoctor(
        (records) => {
          const i = records.findIndex((r) => r.record.type === 'anchor');
          const r = records[i];
          if (r?.record.type !== 'anchor') return undefined;
          const ts = Buffer.from(r.record.anchor.timestamp);
          const at = ts.indexOf(Buffer.from(BITCOIN_TAG));
          // tag, payload length 1, height as one varuint byte
          expect(ts[at + 8]).toBe(1);
          ts[at + 9] = (ts[at + 9] as number) - 1;
          const forged = encodeRecord({ ...r.record, anchor: { ...r.record.anchor, timestamp: new Uint8Array(ts) } });
          return records.map((x, k) => (k === i ? forged : x.raw));
        },
        { fixHashes: true },
      );
      const checked = await startMirrorProcess({ upstream: proxy.url, args: ['--rpc-url', node.rpcUrlWithCredentials, '--chain', 'regtest'] });
      try {
        const failed = await checked.waitFor((r) => r['code'] === 'mirror-attestation');
        expect(String(failed['error'])).toMatch(/anchor record \d+: attestation does not verify: bitcoin block \d+: Digest does not match merkleroot/);
        expect((await mirrorStatus(checked.url)).mirror.records).toBe(0);
        expect((await getTimestamp(checked.url, commitments[0] as Uint8Array)).status).toBe(404);
      } finally {
        expect((await checked.stop()).code).toBe(0);
        await proxy.close();
      }

      // an upstream that keeps the anchor's valid attestation but adds one the node cannot vouch for
      for (const [extra, shown] of [
        [litecoinAttestation(999), 'LitecoinBlockHeaderAttestation(999)'],
        [pendingAttestation('http://evil.example'), "PendingAttestation('http://evil.example')"],
      ] as const) {
        const adding = await startDoctoringProxy(cal.url);
        adding.setDoctor(
          (records) => {
            const i = records.findIndex((r) => r.record.type === 'anchor');
            const r = records[i];
            if (r?.record.type !== 'anchor') return undefined;
            const t = Timestamp.fromBytes(r.record.anchor.timestamp, r.record.anchor.tip);
            t.attest(extra);
            const forged = encodeRecord({ ...r.record, anchor: { ...r.record.anchor, timestamp: t.toBytes() } });
            return records.map((x, k) => (k === i ? forged : x.raw));
          },
          { fixHashes: true },
        );
        const strict = await startMirrorProcess({ upstream: adding.url, args: ['--rpc-url', node.rpcUrlWithCredentials, '--chain', 'regtest'] });
        try {
          const failed = await strict.waitFor((r) => r['msg'] === 'mirror stopped following: the upstream served data that does not verify; nothing of it was stored, the mirror keeps serving what it verified before');
          expect(adding.doctored).toBeGreaterThan(0);
          expect(failed['code']).toBe('mirror-attestation-unexpected');
          expect(String(failed['error'])).toContain(`: attestation not accepted: ${shown}`);
          const status = await mirrorStatus(strict.url);
          expect(status.mirror.failureCode).toBe('mirror-attestation-unexpected');
          // the commitments before the anchor are stored; the anchor is not, so nothing is served complete
          expect(status.mirror.records).toBeLessThan((await mirrorStatus(mirror.url)).mirror.records);
          expect((await getTimestamp(strict.url, commitments[0] as Uint8Array)).status).toBe(404);
          expect((await fetch(`${strict.url}/readyz`)).status).toBe(503);
        } finally {
          expect((await strict.stop()).code).toBe(0);
          await adding.close();
        }
      }

      // gone again: complete proofs still served, and the lag shows it
      expect((await cal.stop()).code).toBe(0);
      await until(async () => ((await mirrorStatus(mirror.url)).lagSeconds ?? 0) >= 1, 'the lag grows while the calendar is down', 10_000);
      const again = await getTimestamp(mirror.url, commitments[0] as Uint8Array);
      expect(again.status).toBe(200);
      expect(Timestamp.fromBytes(again.body, commitments[0] as Uint8Array).isComplete()).toBe(true);
    } finally {
      await cal.stop();
      expect((await mirror.stop()).code).toBe(0);
    }
  });

  it('follows it through the reference\'s backup chunks, checking every attestation against the node', async () => {
    const node = regtest.node;
    const dataDir = tempDir('otsm-e2e-backup-');
    const built = await buildJournal(dataDir, { count: 1_000 });
    const anchoring = ['--chain', 'regtest', '--rpc-url', node.rpcUrlWithCredentials, '--rpc-wallet', node.walletName, '--confirmations', '1', '--min-tx-interval', '0', '--poll-interval-ms', '100'];
    const cal = await startCalendarProcess({ dataDir, tickMs: 50, args: anchoring });
    const checkArgs = ['--backup-protocol', '--backup-poll-seconds', '1', '--rpc-url', node.rpcUrlWithCredentials, '--chain', 'regtest'];
    try {
      await untilBroadcast(node, cal.url);
      await node.mine(1);
      await until(async () => (await fetch(`${cal.url}/experimental/backup/0`)).status === 200, 'chunk 0 is complete', 20_000);

      const mirror = await startMirrorProcess({ upstream: cal.url, args: checkArgs });
      try {
        await until(async () => (await mirrorStatus(mirror.url)).commitments === 1_000, 'the mirror stored chunk 0');
        const status = await mirrorStatus(mirror.url);
        expect((status.mirror as unknown as { attestationsChecked: number }).attestationsChecked).toBe(1_000);
        expect(await sameAnswers(cal.url, mirror.url, [built.commitments[0] as Uint8Array, built.commitments[517] as Uint8Array, built.commitments[999] as Uint8Array])).toEqual([200, 200, 200]);
      } finally {
        expect((await mirror.stop()).code).toBe(0);
      }

      // the attestation moved to the block before: the chunk still holds together, only the node can tell
      const proxy = await startDoctoringProxy(cal.url);
      proxy.setBodyDoctor((path, body) => {
        if (path !== '/experimental/backup/0') return undefined;
        const nodes = decodeBackupChunk(body);
        const attested = nodes.find((n) => n.attestations.some((a) => a.kind === 'bitcoin'));
        const height = (attested?.attestations[0] as { height: number } | undefined)?.height;
        if (attested === undefined || height === undefined) throw new Error('no Bitcoin attestation in the chunk');
        attested.attestations = [bitcoinAttestation(height - 1)];
        return encodeBackupChunk(nodes);
      });
      const forged = await startMirrorProcess({ upstream: proxy.url, args: checkArgs });
      try {
        const failed = await forged.waitFor((r) => r['code'] === 'mirror-attestation');
        expect(String(failed['error'])).toMatch(/^backup chunk 0, commitment [0-9a-f]{88}: attestation does not verify: bitcoin block \d+: Digest does not match merkleroot$/);
        expect((await mirrorStatus(forged.url)).commitments).toBe(0);
        expect((await getTimestamp(forged.url, built.commitments[0] as Uint8Array)).status).toBe(404);
      } finally {
        expect((await forged.stop()).code).toBe(0);
        await proxy.close();
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });
});
