/**
 * The calendar's answers, byte for byte, on one journal that is the same on every run: every commitment of a
 * deterministic calendar (anchors of 1, 8, 9, 300 and re-anchored non-contiguous leaves, a revoked anchor,
 * pending and unknown commitments) and the malformed and conditional requests around them, asked of the real
 * process three times (cold, from its caches, after a restart). Each answer (status line, headers but Date, body)
 * must hash to what test/fixtures/golden-answers.txt recorded, so work on the serving path cannot change a byte.
 *
 * The file was recorded before that work; `GOLDEN_ANSWERS_RECORD=1` rewrites it, which is only right when an
 * answer is meant to change (say so in the commit).
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/journal/index.js';
import { CalendarIndex } from '../../src/index/index.js';
import { Calendar } from '../../src/calendar/calendar.js';
import { openDataDir } from '../../src/calendar/data-dir.js';
import { OP_SHA256, bitcoinAttestation, encodePath, merkleRoot, opAppend, opPrepend, sha256 } from '../../src/ots/index.js';
import { freePort, startCalendarProcess, tempDir } from '../fixtures/calendar-process.js';

const GOLDEN = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'golden-answers.txt');
const COMMITMENTS = 1_400;

/** Bytes that are the same on every run: sha256 of a label. */
function det(label: string, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, k = 0; i < length; i += 32, k++) out.set(sha256(new TextEncoder().encode(`${label}/${k}`)).subarray(0, Math.min(32, length - i)), i);
  return out;
}

function timestampFor(label: string, height: number): Uint8Array {
  return encodePath([opPrepend(det(`${label}/prefix`, 89)), opAppend(det(`${label}/locktime`, 4)), OP_SHA256, OP_SHA256], bitcoinAttestation(height));
}

/** A calendar of COMMITMENTS commitments, five to a second, with anchors and one revocation; returns them all. */
async function buildCalendar(root: string, uri: string): Promise<Uint8Array[]> {
  writeFileSync(join(root, 'hmac-key'), det('hmac-key'), { mode: 0o600 });
  const dd = openDataDir(root, { defaultUri: uri });
  const journal = await Journal.open({ dir: dd.journalDir, log: () => undefined });
  const index = await CalendarIndex.open({ dir: dd.indexDir, journal });
  let i = 0;
  const calendar = new Calendar({ journal, index, hmacKey: dd.hmacKey, uri, now: () => 1_700_000_000 + Math.floor(i / 5) + 0.5 });
  for (; i < COMMITMENTS; i++) await calendar.commit(det(`root ${i}`));
  const all = Array.from({ length: COMMITMENTS }, (_, n) => index.commitment(n));
  const anchor = async (label: string, ranges: Array<{ start: number; end: number }>, height: number): Promise<number | null> => {
    const leaves = ranges.flatMap((r) => all.slice(r.start, r.end).map((c) => sha256(c)));
    return calendar.appendAnchor({ tip: merkleRoot(leaves), ranges, timestamp: timestampFor(label, height) });
  };
  await anchor('one leaf', [{ start: 0, end: 1 }], 800_000);
  await anchor('eight', [{ start: 1, end: 9 }], 800_001);
  await anchor('nine', [{ start: 9, end: 18 }], 800_002);
  await anchor('three hundred', [{ start: 18, end: 318 }], 800_003);
  const revoked = await anchor('revoked', [{ start: 318, end: 1_318 }], 800_004);
  if (revoked === null) throw new Error('the anchor to revoke was not written');
  await calendar.appendRevocation(revoked, 'reorg below the confirmation depth');
  await anchor('re-anchored', [{ start: 318, end: 500 }, { start: 700, end: 1_318 }], 800_010);
  index.close();
  await journal.close();
  return all;
}

interface Ask {
  label: string;
  raw: string;
}

function get(label: string, path: string, extra = '', method = 'GET'): Ask {
  return { label, raw: `${method} ${path} HTTP/1.1\r\nHost: calendar.test\r\nUser-Agent: golden\r\n${extra}\r\n` };
}

/** What is asked: every commitment, then the edge cases (labels name commitments by number, not by bytes). */
function asks(all: Uint8Array[], etagOf: (n: number) => string): Ask[] {
  const hex = (c: Uint8Array): string => Buffer.from(c).toString('hex');
  const out = all.map((c, n) => get(`c${n}`, `/timestamp/${hex(c)}`));
  const flipped = (n: number, at: number): string => {
    const c = Buffer.from(all[n] as Uint8Array);
    c[at] = (c[at] as number) ^ 1;
    return hex(c);
  };
  out.push(
    get('c5 uppercase', `/timestamp/${hex(all[5] as Uint8Array).toUpperCase()}`),
    get('c5 with a query', `/timestamp/${hex(all[5] as Uint8Array)}?x=1`),
    get('c5 HEAD', `/timestamp/${hex(all[5] as Uint8Array)}`, '', 'HEAD'),
    get('c5 If-None-Match own', `/timestamp/${hex(all[5] as Uint8Array)}`, `If-None-Match: ${etagOf(5)}\r\n`),
    get('c5 If-None-Match weak own', `/timestamp/${hex(all[5] as Uint8Array)}`, `If-None-Match: W/${etagOf(5)}\r\n`),
    get('c5 If-None-Match list', `/timestamp/${hex(all[5] as Uint8Array)}`, `If-None-Match: "x", ${etagOf(5)}\r\n`),
    get('c5 If-None-Match other', `/timestamp/${hex(all[5] as Uint8Array)}`, `If-None-Match: ${etagOf(6)}\r\n`),
    get('c5 If-None-Match star', `/timestamp/${hex(all[5] as Uint8Array)}`, 'If-None-Match: *\r\n'),
    get('c600 pending If-None-Match star', `/timestamp/${hex(all[600] as Uint8Array)}`, 'If-None-Match: *\r\n'),
    get('c600 pending HEAD', `/timestamp/${hex(all[600] as Uint8Array)}`, '', 'HEAD'),
    get('c7 MAC flipped', `/timestamp/${flipped(7, 43)}`),
    get('c7 fingerprint flipped', `/timestamp/${flipped(7, 4)}`),
    get('c7 time flipped', `/timestamp/${flipped(7, 3)}`),
    get('c7 root byte 20 flipped', `/timestamp/${flipped(7, 20)}`),
    get('c1399 pending MAC flipped', `/timestamp/${flipped(1_399, 43)}`),
    get('c7 first 36 bytes', `/timestamp/${hex(all[7] as Uint8Array).slice(0, 72)}`),
    get('c7 and one byte more', `/timestamp/${hex(all[7] as Uint8Array)}00`),
    get('32 bytes', `/timestamp/${hex(det('unknown digest'))}`),
    get('one byte', '/timestamp/00'),
    get('empty', '/timestamp/'),
    get('odd length', `/timestamp/${hex(all[7] as Uint8Array).slice(1)}`),
    get('not hex', '/timestamp/zz'),
    get('4096 bytes', `/timestamp/${'ab'.repeat(4_096)}`),
    get('4097 bytes', `/timestamp/${'ab'.repeat(4_097)}`),
    get('POST', `/timestamp/${hex(all[5] as Uint8Array)}`, 'Content-Length: 0\r\n', 'POST'),
    get('OPTIONS', `/timestamp/${hex(all[5] as Uint8Array)}`, 'Origin: https://example.org\r\nAccess-Control-Request-Method: GET\r\n', 'OPTIONS'),
    get('encoded slash', `/timestamp/${hex(all[5] as Uint8Array)}%2F`),
    get('no prefix slash', '/timestamp'),
  );
  return out;
}

/** One keep-alive connection, one request at a time; each answer as its bytes without the Date header. */
class Connection {
  readonly #sock: Socket;
  #data = Buffer.alloc(0);
  #waiting: (() => void) | undefined;

  constructor(port: number) {
    this.#sock = connect(port, '127.0.0.1');
    this.#sock.on('data', (d: Buffer) => {
      this.#data = Buffer.concat([this.#data, d]);
      this.#waiting?.();
    });
  }

  async ask(a: Ask): Promise<Buffer> {
    this.#sock.write(a.raw);
    const noBody = a.raw.startsWith('HEAD ');
    for (;;) {
      const end = this.#data.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.#data.subarray(0, end).toString('latin1');
        const status = Number(head.split(' ')[1]);
        const length = noBody || status === 304 || status === 204 ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
        if (Number.isNaN(length)) throw new Error(`${a.label}: an answer without Content-Length:\n${head}`);
        if (this.#data.length >= end + 4 + length) {
          const body = this.#data.subarray(end + 4, end + 4 + length);
          this.#data = this.#data.subarray(end + 4 + length);
          const kept = head.split('\r\n').filter((l) => !/^date:/i.test(l));
          return Buffer.concat([Buffer.from(kept.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
        }
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${a.label}: no whole answer within 10 s`)), 10_000);
        this.#waiting = () => {
          clearTimeout(timer);
          this.#waiting = undefined;
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#sock.destroy();
  }
}

/** `label<TAB>status<TAB>sha256 of the answer` for each ask, in order. */
async function run(port: number, list: Ask[]): Promise<string[]> {
  const c = new Connection(port);
  try {
    const lines: string[] = [];
    for (const a of list) {
      const answer = await c.ask(a);
      const status = answer.subarray(9, 12).toString('latin1');
      lines.push(`${a.label}\t${status}\t${createHash('sha256').update(answer).digest('hex').slice(0, 32)}`);
    }
    return lines;
  } finally {
    c.close();
  }
}

describe('answers stay byte-identical', () => {
  it('every commitment and every edge case answers as recorded, cold, cached and after a restart', async () => {
    const root = tempDir('otsc-golden-');
    const port = await freePort();
    const all = await buildCalendar(root, `http://127.0.0.1:${port}`);
    // the ETags the conditional requests send are read off the first answers, not computed here
    let cal = await startCalendarProcess({ dataDir: root, port, args: ['--access-log'] });
    const etags = new Map<number, string>();
    const runs: string[][] = [];
    try {
      for (const n of [5, 6]) {
        const r = await fetch(`${cal.url}/timestamp/${Buffer.from(all[n] as Uint8Array).toString('hex')}`);
        await r.arrayBuffer();
        etags.set(n, r.headers.get('etag') ?? 'none');
      }
      const list = asks(all, (n) => etags.get(n) ?? 'none');
      runs.push(await run(port, list), await run(port, list));
      expect((await cal.stop()).code).toBe(0);
      cal = await startCalendarProcess({ dataDir: root, port });
      runs.push(await run(port, list));
    } finally {
      expect((await cal.stop()).code).toBe(0);
    }
    const [cold, cached, restarted] = runs as [string[], string[], string[]];
    expect(cached).toEqual(cold);
    expect(restarted).toEqual(cold);
    // what the fixture must cover, so that a recording cannot quietly lose a kind of answer
    const statuses = new Set(cold.map((l) => l.split('\t')[1]));
    for (const s of ['200', '304', '400', '404', '405', '204']) expect(statuses, `an answer with status ${s}`).toContain(s);
    if (process.env.GOLDEN_ANSWERS_RECORD === '1') writeFileSync(GOLDEN, cold.join('\n') + '\n');
    const golden = readFileSync(GOLDEN, 'utf8').trimEnd().split('\n');
    const differ = cold.filter((l, k) => l !== golden[k]);
    expect(differ.slice(0, 10), `${differ.length} answers differ from the recording`).toEqual([]);
    expect(cold.length).toBe(golden.length);
  }, 120_000);
});
