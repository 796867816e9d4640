// The pieces of donated-transaction anchoring that need no node: the rate gate, the wire contract's strict
// parsers, the external strategy's and the stamper's state files (round trip, and a field of the wrong shape is
// refused), the donation routes through the app's dispatch and the error table.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DonationGate,
  DonationProtocolError,
  DonationPushbackError,
  DonationRefusedError,
  ExternalStore,
  StamperStateError,
  decodeExternalState,
  donationRules,
  emptyExternalState,
  encodeExternalState,
  parseDonationAnswer,
  parseDonationOffer,
  type DonationOffer,
  type ExternalState,
} from '../../src/anchor/index.js';
import { createApp } from '../../src/http/app.js';
import type { HttpRequest } from '../../src/http/types.js';
import { StamperLockedError, StamperRoleStateError, StamperStore, decodeStamperState, emptyStamperState, encodeStamperState, type StamperState } from '../../src/stamper/index.js';

const hex32 = (c: string): string => c.repeat(64);

describe('DonationGate', () => {
  it('takes a burst, then so many a second, and bounds those checked at once', () => {
    const clock = { ms: 0 };
    const gate = new DonationGate({ perSecond: 2, burst: 3, concurrent: 2, now: () => clock.ms });
    gate.enter();
    gate.enter();
    expect(() => gate.enter()).toThrow(expect.objectContaining({ kind: 'busy', retryAfterSeconds: 1 }) as Error);
    gate.leave();
    gate.enter(); // the third token
    gate.leave();
    gate.leave();
    const limited = (() => {
      try {
        gate.enter();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(limited).toBeInstanceOf(DonationPushbackError);
    expect(limited).toMatchObject({ kind: 'rate', retryAfterSeconds: 1 });
    clock.ms += 499;
    expect(() => gate.enter()).toThrow(/more transactions posted than this calendar looks at \(2 a second\)/);
    clock.ms += 1;
    gate.enter();
    gate.leave();
    expect(gate.inFlight).toBe(0);
  });
});

function offer(over: Partial<Record<keyof DonationOffer, unknown>> = {}): Record<string, unknown> {
  return {
    version: 1,
    chain: 'regtest',
    tip: hex32('a'),
    commitments: 3,
    since: '2026-01-01T00:00:00.000Z',
    tipAt: '2026-01-01T00:00:10.000Z',
    selfPayAt: null,
    feeRateSatPerVb: 2.5,
    minFeeRateSatPerVb: 1,
    covered: [{ tip: hex32('b'), txid: hex32('c'), confirmations: 0 }],
    rules: donationRules(),
    ...over,
  };
}

describe('the donation wire contract', () => {
  it('parses an offer and refuses each field of the wrong shape', () => {
    expect(parseDonationOffer(offer())).toMatchObject({ tip: hex32('a'), commitments: 3, feeRateSatPerVb: 2.5, covered: [{ confirmations: 0 }] });
    expect(parseDonationOffer(offer({ tip: null, since: null, tipAt: null, commitments: 0, feeRateSatPerVb: null }))).toMatchObject({ tip: null });
    const bad: Array<[Partial<Record<keyof DonationOffer, unknown>>, RegExp]> = [
      [{ version: 2 }, /version 2 is not 1/],
      [{ chain: 'dogecoin' }, /chain is not a known chain/],
      [{ tip: 'AA'.repeat(32) }, /tip is not 32 bytes of lower-case hex/],
      [{ tip: hex32('a'), since: null }, /tip and since are not both set/],
      [{ commitments: -1 }, /commitments is not a non-negative integer/],
      [{ since: 'yesterday' }, /since is not a time/],
      [{ feeRateSatPerVb: 'cheap' }, /feeRateSatPerVb is not a fee rate/],
      [{ covered: [{ tip: hex32('b'), txid: 'x', confirmations: 0 }] }, /covered\[0\]\.txid/],
      [{ covered: 'none' }, /covered is not a list/],
    ];
    for (const [o, why] of bad) expect(() => parseDonationOffer(offer(o)), why.source).toThrow(why);
    expect(() => parseDonationOffer([])).toThrow(DonationProtocolError);
  });

  it('parses the answers to a post', () => {
    expect(parseDonationAnswer({ accepted: true, txid: hex32('d'), tip: hex32('a'), commitments: 2 })).toEqual({ accepted: true, txid: hex32('d'), tip: hex32('a'), commitments: 2 });
    expect(parseDonationAnswer({ accepted: false, code: 'tip-unknown', reason: 'never advertised' })).toEqual({ accepted: false, code: 'tip-unknown', reason: 'never advertised' });
    expect(() => parseDonationAnswer({ accepted: false, code: 'Tip Unknown!', reason: '' })).toThrow(/code is not a refusal code/);
    expect(() => parseDonationAnswer({ accepted: 'yes' })).toThrow(/accepted is not a boolean/);
  });
});

describe('state files', () => {
  const external: ExternalState = {
    ...emptyExternalState('regtest'),
    lastBlock: { height: 7, hash: hex32('1') },
    round: { startedAt: 1000, tips: [{ tip: new Uint8Array(32).fill(1), ranges: [{ start: 0, end: 3 }], at: 1000 }] },
    past: [{ tip: new Uint8Array(32).fill(2), ranges: [{ start: 3, end: 4 }], at: 500, until: 900, why: 'covered' }],
    donations: [{ txid: hex32('3'), tip: new Uint8Array(32).fill(2), raw: Uint8Array.of(1, 2, 3), fee: 300, vsize: 150, source: 'posted', takenAt: 800, unminedSince: null, releasedAt: null }],
    waiting: [{ versions: [{ txid: hex32('3'), tip: new Uint8Array(32).fill(2), ranges: [{ start: 3, end: 4 }] }], mined: { txid: hex32('3'), block: { height: 7, hash: hex32('1') } } }],
  };

  it('the external strategy state round-trips and refuses what is not its shape', () => {
    expect(decodeExternalState(encodeExternalState(external))).toEqual(external);
    const text = encodeExternalState(external);
    expect(() => decodeExternalState(text.replace('"posted"', '"mailed"'))).toThrow(/donations\[0\]\.source is not one of posted, block/);
    expect(() => decodeExternalState(text.replace('"covered"', '"lost"'))).toThrow(StamperStateError);
    expect(() => decodeExternalState(text.replace('"format":1', '"format":2'))).toThrow(/format 2 is not 1/);
    expect(() => decodeExternalState('{')).toThrow(StamperStateError);
    const dir = mkdtempSync(join(tmpdir(), 'otsc-ext-'));
    const store = new ExternalStore(dir);
    expect(store.load('regtest')).toEqual(emptyExternalState('regtest'));
    store.save(external);
    expect(store.load('regtest')).toEqual(external);
    expect(() => store.load('bitcoin')).toThrow(/belongs to chain regtest, not bitcoin/);
  });

  it("the stamper's state round-trips, refuses what is not its shape, and one stamper holds a directory", () => {
    const s: StamperState = {
      ...emptyStamperState('regtest'),
      txs: [{ calendar: 'http://127.0.0.1:1', tip: new Uint8Array(32).fill(4), txid: hex32('5'), raw: Uint8Array.of(9), fee: 200, vsize: 140, spends: { txid: hex32('6'), vout: 1 }, builtAt: 10, status: 'taken', refusal: null, broadcast: true, minedHeight: null }],
      totals: { donations: 1, feesSats: 200, refusals: 0 },
    };
    expect(decodeStamperState(encodeStamperState(s))).toEqual(s);
    expect(() => decodeStamperState(encodeStamperState(s).replace('"taken"', '"sent"'))).toThrow(StamperRoleStateError);
    const dir = mkdtempSync(join(tmpdir(), 'otsc-stamper-'));
    const store = new StamperStore(dir);
    const release = store.lock();
    expect(() => new StamperStore(dir).lock()).toThrow(StamperLockedError);
    release();
    // a lock file left by a process that is gone holds nothing: the kernel lock died with it
    writeFileSync(join(dir, 'stamper.lock'), '999999999\n');
    const again = new StamperStore(dir).lock();
    expect(readFileSync(join(dir, 'stamper.lock'), 'utf8')).toBe(`${process.pid}\n`);
    again();
  });
});

describe('the donation routes', () => {
  const base = { answer: () => ({ kind: 'unknown' as const }), status: () => ({}) as never, onError: () => undefined, metrics: () => Promise.resolve(''), notReady: () => [] };
  const req = (over: Partial<HttpRequest>): HttpRequest => ({ method: 'GET', path: '/donate', query: '', headers: {}, body: new Uint8Array(0), ...over });

  it('answer 404 where no donations are taken', async () => {
    const app = createApp(base);
    for (const method of ['GET', 'POST']) {
      const r = await app(req({ method }));
      expect([r.status, r.body]).toEqual([404, 'This calendar takes no donated transactions']);
    }
  });

  it('serve the offer (cacheable for seconds), map a refusal to 400 with its code and a pushback to 429/503 with Retry-After', async () => {
    let next: unknown;
    const app = createApp({
      ...base,
      donations: {
        offer: () => parseDonationOffer(offer()),
        submit: async () => {
          if (next !== undefined) throw next;
          return { accepted: true, txid: hex32('d'), tip: hex32('a'), commitments: 3 };
        },
      },
    });
    const got = await app(req({}));
    expect(got.status).toBe(200);
    expect(got.headers['cache-control']).toBe('public, max-age=5');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(String(got.body))).toMatchObject({ tip: hex32('a') });
    expect((await app(req({ method: 'POST' }))).status).toBe(200);
    next = new DonationRefusedError('op-return-length', 'the OP_RETURN pushes 33 bytes; exactly 32 (one merkle tip) are taken');
    const refused = await app(req({ method: 'POST' }));
    expect(refused.status).toBe(400);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(String(refused.body))).toEqual({ accepted: false, code: 'op-return-length', reason: 'the OP_RETURN pushes 33 bytes; exactly 32 (one merkle tip) are taken' });
    next = new DonationPushbackError('rate', 3, 'more transactions posted than this calendar looks at (2 a second); post it again in 3 s');
    const limited = await app(req({ method: 'POST' }));
    expect([limited.status, limited.headers['retry-after']]).toEqual([429, '3']);
    next = new DonationPushbackError('unavailable', 10, "this calendar's node does not answer; post it again later");
    const unavailable = await app(req({ method: 'POST' }));
    expect([unavailable.status, unavailable.headers['retry-after'], unavailable.body]).toEqual([503, '10', "this calendar's node does not answer; post it again later"]);
    expect((await app(req({ method: 'PUT' }))).status).toBe(405);
  });
});
