// The stamper's state file: exact round trip, strict decoding (a wrong field is an error, never a default), chain binding, durable replacement.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_FILE, type StamperState, StamperStateError, StateStore, StateWriteError, decodeState, emptyState, encodeState } from '../../src/anchor/index.js';

const H = (c: string): string => c.repeat(64);

function fullState(): StamperState {
  const tip = new Uint8Array(32).fill(7);
  return {
    chain: 'regtest',
    lastBlock: { height: 120, hash: H('1') },
    cycle: {
      input: { txid: H('2'), vout: 1, value: 50_000_000 },
      changeScript: new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(9)]),
      versions: [
        { txid: H('3'), tip, ranges: [{ start: 10, end: 12 }], raw: new Uint8Array([1, 2, 3]), fee: 153, vsize: 153, sentAtBlock: H('1'), sentAt: 1_700_000_000_000 },
        { txid: H('4'), tip, ranges: [{ start: 10, end: 12 }, { start: 15, end: 16 }], raw: new Uint8Array([4, 5]), fee: 306, vsize: 153, sentAtBlock: H('5'), sentAt: 1_700_000_600_000 },
      ],
    },
    waiting: [
      { versions: [{ txid: H('6'), tip, ranges: [{ start: 0, end: 5 }] }], mined: { txid: H('6'), block: { height: 118, hash: H('7') } } },
      { versions: [{ txid: H('8'), tip, ranges: [{ start: 5, end: 10 }] }], mined: null },
    ],
    // the first as written before block times were kept: such a state still loads
    anchored: [
      { seq: 30, txid: H('c'), block: { height: 90, hash: H('d') } },
      { seq: 42, txid: H('9'), block: { height: 100, hash: H('a') }, blockTime: 1_700_000_100 },
    ],
    nextCycleAt: 1_700_000_900_000,
  };
}

describe('stamper state', () => {
  it('round-trips every field exactly', () => {
    const s = fullState();
    expect(decodeState(encodeState(s))).toEqual(s);
    expect(decodeState(encodeState(emptyState('litecoin')))).toEqual(emptyState('litecoin'));
  });

  it.each([
    ['not JSON', (t: string) => t.slice(1)],
    ['another format', (t: string) => t.replace('"format":1', '"format":2')],
    ['an unknown chain', (t: string) => t.replace('"chain":"regtest"', '"chain":"dogecoin"')],
    ['a short hash', (t: string) => t.replace(H('1'), '11')],
    ['an upper-case hash', (t: string) => t.replace(H('a'), H('A'))],
    ['a negative fee', (t: string) => t.replace('"fee":153', '"fee":-1')],
    ['a fractional height', (t: string) => t.replace('"height":118', '"height":118.5')],
    ['an empty range', (t: string) => t.replace('[0,5]', '[5,5]')],
    ['no ranges', (t: string) => t.replace('[[5,10]]', '[]')],
    ['a tip of 31 bytes', (t: string) => t.replace('07'.repeat(32), '07'.repeat(31))],
    ['odd hex in a raw tx', (t: string) => t.replace('"raw":"0405"', '"raw":"040"')],
    ['a mined txid none of the versions has', (t: string) => t.replace(`"mined":{"txid":"${H('6')}"`, `"mined":{"txid":"${H('b')}"`)],
    ['a missing field', (t: string) => t.replace(',"nextCycleAt":1700000900000', '')],
    ['a fractional block time', (t: string) => t.replace('"blockTime":1700000100', '"blockTime":1.5')],
  ])('refuses %s', (_name, corrupt) => {
    const text = encodeState(fullState());
    const bad = corrupt(text);
    expect(bad).not.toBe(text);
    expect(() => decodeState(bad)).toThrow(StamperStateError);
  });

  it('starts fresh without a file, refuses one of another chain, and replaces the file whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ots-state-'));
    const store = new StateStore(dir);
    expect(store.load('regtest')).toEqual(emptyState('regtest'));
    const s = fullState();
    store.save(s);
    expect(readdirSync(dir)).toEqual([STATE_FILE]); // no temporary file left behind
    expect(store.load('regtest')).toEqual(s);
    try {
      store.load('bitcoin');
      expect.unreachable('a state of another chain was accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(StamperStateError);
      expect((err as StamperStateError).code).toBe('anchor-state');
      expect((err as Error).message).toContain('regtest');
    }
    writeFileSync(join(dir, STATE_FILE), readFileSync(join(dir, STATE_FILE), 'utf8').slice(0, 50));
    expect(() => store.load('regtest')).toThrow(StamperStateError);
  });

  it('reports a state it cannot write as StateWriteError', () => {
    const store = new StateStore(join(mkdtempSync(join(tmpdir(), 'ots-state-')), 'missing', 'dir'));
    expect(() => store.save(emptyState('regtest'))).toThrow(StateWriteError);
  });
});
