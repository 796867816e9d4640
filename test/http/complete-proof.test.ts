/** GET /timestamp for an anchored commitment through the real process: the complete proof, immutable caching, ETag/304, HEAD. */
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { openDataDir } from '../../src/calendar/data-dir.js';
import { OP_SHA256, Timestamp, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend, sha256 } from '../../src/ots/index.js';
import { freePort, startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';

describe('complete proofs over HTTP', () => {
  it('serves the proof bytes, cacheable for a year, with a working ETag', async () => {
    const root = tempDir('otsc-complete-');
    const port = await freePort();
    const uri = `http://127.0.0.1:${port}`;
    const dd = openDataDir(root, { defaultUri: uri });
    const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
    const index = await CalendarIndex.open({ dir: dd.indexDir, journal });
    const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri });
    for (let i = 0; i < 9; i++) await calendar.commit(randomBytes(32));
    const commitments = Array.from({ length: 9 }, (_, i) => index.commitment(i));
    const tip = merkleRoot(commitments.slice(0, 8).map((c) => sha256(c)));
    await calendar.appendAnchor({ tip, ranges: [{ start: 0, end: 8 }], timestamp: encodePath([opPrepend(randomBytes(60)), opAppend(randomBytes(4)), OP_SHA256, OP_SHA256], bitcoinAttestation(4242)) });
    const expected = commitments.map((c) => calendar.answer(c));
    index.close();
    await journal.close();

    const cal = await startCalendarProcess({ dataDir: root, port });
    try {
      for (const [i, c] of commitments.entries()) {
        const hex = Buffer.from(c).toString('hex');
        const r = await fetch(`${cal.url}/timestamp/${hex}`);
        const want = expected[i];
        if (want?.kind !== 'complete') {
          expect(r.status).toBe(404);
          expect(await r.text()).toBe('Pending confirmation in Bitcoin blockchain');
          continue;
        }
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/octet-stream');
        expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        const body = new Uint8Array(await r.arrayBuffer());
        expect(Buffer.from(body).equals(Buffer.from(want.proof))).toBe(true);
        const [att] = Timestamp.fromBytes(body, c).allAttestations();
        expect(att?.attestation).toEqual({ kind: 'bitcoin', height: 4242 });
        const etag = r.headers.get('etag') as string;
        expect(etag).toMatch(/^"[0-9a-f]+"$/);
        const again = await fetch(`${cal.url}/timestamp/${hex}`, { headers: { 'if-none-match': etag } });
        expect(again.status).toBe(304);
        expect((await again.arrayBuffer()).byteLength).toBe(0);
        const head = await fetch(`${cal.url}/timestamp/${hex}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(body.length));
      }
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
  });
});
