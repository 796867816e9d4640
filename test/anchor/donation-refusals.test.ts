/**
 * A battery of hostile transactions posted to a real calendar process (no wallet, donated transactions taken) on a
 * real litecoind -regtest node, each built from a real wallet's outputs and signed by it: every one is refused with
 * its own code and reason, and none changes what the calendar serves (its tip, its offer, the 404 reason of its
 * commitment, its state file). Then a good one is taken, the same one again and another for the same tip are
 * refused, a burst of posts is bounded (429/503), and once anchored the tip is refused as expired.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, type CalendarProcess } from '../fixtures/calendar-process.js';
import { until } from '../mirror/fixtures/mirror-process.js';
import { type BitcoinRpc, type Tx, type Unspent, displayHexToInternal, encodeTx, opReturnScript, satsToAmount } from '../../src/bitcoin/index.js';
import { EXTERNAL_STATE_FILE, type DonationOffer } from '../../src/anchor/index.js';
import { Timestamp, hexToBytes } from '../../src/ots/index.js';
import { fundedWallet } from './harness.js';
import { altered, fakeWitness, finish, largestOutput, signed, unsignedDonation } from './donor.js';

const regtest = useRegtestNode({ extraArgs: ['-keypool=40'] });

const key = (): Uint8Array => Uint8Array.of(0x02, ...randomBytes(32));

let cal: CalendarProcess;
let donor: BitcoinRpc;
let commitment: string;
let tip: Uint8Array;
const utxos: Record<'a' | 'b' | 'c' | 'legacy' | 'wrapped' | 'unconfirmed', Unspent> = {} as never;

/** What the calendar serves about the pending commitment and its tip, and the state it acts on. */
async function served(): Promise<{ tip: string; offer: Partial<DonationOffer>; reason: string; state: string }> {
  const tr = await fetch(`${cal.url}/tip`);
  const body = Buffer.from(await tr.arrayBuffer());
  const t = tr.status === 200 ? body.toString('hex') : `${tr.status} ${body.toString()}`;
  const o = (await (await fetch(`${cal.url}/donate`)).json()) as DonationOffer;
  const reason = await (await fetch(`${cal.url}/timestamp/${commitment}`)).text();
  return { tip: t, offer: { tip: o.tip, commitments: o.commitments, since: o.since, tipAt: o.tipAt, covered: o.covered }, reason, state: readFileSync(join(cal.dataDir, 'state', EXTERNAL_STATE_FILE), 'utf8') };
}

/** POSTs `raw` as a donor would: told to come back later (429/503), it waits Retry-After seconds and posts again. */
async function post(raw: Uint8Array): Promise<{ status: number; body: { accepted?: boolean; code?: string; reason?: string; txid?: string } }> {
  for (;;) {
    const r = await fetch(`${cal.url}/donate`, { method: 'POST', body: raw });
    if (r.status === 429 || r.status === 503) {
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after'))));
      continue;
    }
    return { status: r.status, body: (await r.json()) as { accepted?: boolean; code?: string; reason?: string } };
  }
}

/** Sends `sats` to a fresh address of `type` of the donor; unconfirmed until a block. */
async function fundType(type: 'bech32' | 'legacy' | 'p2sh-segwit', sats: number): Promise<string> {
  const address = await donor.getNewAddress('', type);
  return String(await regtest.node.rpc.call('sendtoaddress', [address, satsToAmount(sats)], { idempotent: false, wallet: true }));
}

/** The donor's output of `txid`; a wallet learns of a transaction sent to it a moment after the send returns. */
async function output(txid: string): Promise<Unspent> {
  let u: Unspent | undefined;
  await until(async () => (u = (await donor.listUnspent(0)).find((x) => x.txid === txid)) !== undefined, `an output of ${txid} in the donor's wallet`, 10_000);
  return u as Unspent;
}

/** The stamper's transaction for `tip` from `utxo`, changed by `change` before the wallet signs it. */
async function signedWith(change: (tx: Tx) => void, o: { utxo?: Unspent; fee?: number; tipOf?: Uint8Array } = {}): Promise<Uint8Array> {
  const u = await unsignedDonation(donor, o.tipOf ?? tip, { utxo: o.utxo ?? utxos.a, ...(o.fee === undefined ? {} : { fee: o.fee }) });
  change(u.tx);
  return signed(donor, u.tx);
}

beforeAll(async () => {
  const n = regtest.node;
  donor = await fundedWallet(n, [5_000_000, 5_000_000, 5_000_000]);
  const [legacy, wrapped] = [await fundType('legacy', 5_000_000), await fundType('p2sh-segwit', 5_000_000)];
  await n.mine(1);
  const segwit = (await donor.listUnspent(1)).filter((u) => u.scriptPubKey[0] === 0x00).sort((x, y) => (x.txid < y.txid ? -1 : 1));
  [utxos.a, utxos.b, utxos.c] = segwit as [Unspent, Unspent, Unspent];
  utxos.legacy = await output(legacy);
  utxos.wrapped = await output(wrapped);
  utxos.unconfirmed = await output(await fundType('bech32', 5_000_000));
  expect(await largestOutput(donor, 'p2pkh')).toMatchObject({ txid: legacy });
  cal = await startCalendarProcess({ tickMs: 100, args: ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--no-anchor-wallet', '--anchor-external', '--confirmations', '1', '--poll-interval-ms', '100'] });
  const digest = randomBytes(32);
  const r = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
  const [p] = Timestamp.fromBytes(new Uint8Array(await r.arrayBuffer()), digest).allAttestations();
  commitment = Buffer.from(p?.msg ?? []).toString('hex');
  await until(async () => ((await (await fetch(`${cal.url}/donate`)).json()) as DonationOffer).tip !== null, 'a tip advertised', 20_000);
  tip = hexToBytes(((await (await fetch(`${cal.url}/donate`)).json()) as DonationOffer).tip as string);
});

afterAll(async () => {
  expect((await cal.stop()).code).toBe(0);
});

describe('hostile transactions', () => {
  const multisig = (): Uint8Array => Uint8Array.of(0x51, 0x21, ...key(), 0x21, ...key(), 0x52, 0xae);
  const cases: Array<[string, () => Promise<Uint8Array>, string, RegExp]> = [
    ['garbage', async () => new Uint8Array(randomBytes(120)), 'not-a-transaction', /^the bytes do not decode as a transaction/],
    [
      'two inputs',
      () =>
        signedWith((tx) => {
          tx.inputs.push({ ...(tx.inputs[0] as Tx['inputs'][number]), prevTxid: displayHexToInternal(utxos.b.txid), vout: utxos.b.vout });
        }),
      'input-count',
      /^2 inputs; exactly one \(a native segwit spend\) is taken$/,
    ],
    ['a P2PKH input', () => signedWith(() => undefined, { utxo: utxos.legacy }), 'legacy-input', /^the input is a legacy spend \(a 10\d-byte scriptSig, no witness\)/],
    ['a P2SH-wrapped segwit input', () => signedWith(() => undefined, { utxo: utxos.wrapped }), 'wrapped-segwit-input', /^the input is a P2SH-wrapped segwit spend/],
    [
      'data in the scriptSig',
      async () => altered(await signedWith(() => undefined), (tx) => ((tx.inputs[0] as Tx['inputs'][number]).scriptSig = Uint8Array.of(0x10, ...Buffer.from('X5O!P%@AP[4\\PZX5')))),
      'script-sig-data',
      /^the input's scriptSig holds 17 bytes; a native segwit spend has an empty scriptSig$/,
    ],
    ['no witness', async () => encodeTx((await unsignedDonation(donor, tip, { utxo: utxos.a })).tx), 'no-witness', /^the input has an empty scriptSig and no witness/],
    ['two OP_RETURN outputs', () => signedWith((tx) => tx.outputs.push({ value: 0, script: opReturnScript(new Uint8Array(randomBytes(32))) })), 'op-return-count', /^2 OP_RETURN outputs \(outputs 1, 2\); exactly one is taken$/],
    ['an OP_RETURN of 33 bytes', () => signedWith((tx) => ((tx.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x21, ...tip, 0x00))), 'op-return-length', /^the OP_RETURN pushes 33 bytes; exactly 32 \(one merkle tip\) are taken$/],
    ['an OP_RETURN of two pushes', () => signedWith((tx) => ((tx.outputs[1] as Tx['outputs'][number]).script = Uint8Array.of(0x6a, 0x20, ...tip, 0x01, 0x41))), 'op-return-script', /holds 2 pushes \(32, 1 bytes\); exactly one of 32 bytes is taken$/],
    [
      'an OP_RETURN with value',
      () =>
        signedWith((tx) => {
          (tx.outputs[1] as Tx['outputs'][number]).value = 1000;
          (tx.outputs[0] as Tx['outputs'][number]).value -= 1000;
        }),
      'op-return-value',
      /^the OP_RETURN output carries 1000 sats; it must carry 0$/,
    ],
    [
      'an extra output',
      () =>
        signedWith((tx) => {
          (tx.outputs[0] as Tx['outputs'][number]).value -= 10_000;
          tx.outputs.push({ value: 10_000, script: Uint8Array.of(0x00, 0x14, ...randomBytes(20)) });
        }),
      'output-count',
      /^3 outputs; the OP_RETURN and at most one other are taken$/,
    ],
    ['a bare multisig output', () => signedWith((tx) => ((tx.outputs[0] as Tx['outputs'][number]).script = multisig())), 'output-script', /^output 0 is bare multisig; the one output beside the OP_RETURN must be P2WPKH, P2WSH or P2TR$/],
    ['a P2PK output', () => signedWith((tx) => ((tx.outputs[0] as Tx['outputs'][number]).script = Uint8Array.of(0x21, ...key(), 0xac))), 'output-script', /^output 0 is P2PK;/],
    ['a P2SH output', () => signedWith((tx) => ((tx.outputs[0] as Tx['outputs'][number]).script = Uint8Array.of(0xa9, 0x14, ...randomBytes(20), 0x87))), 'output-script', /^output 0 is P2SH;/],
    ['a non-standard output', () => signedWith((tx) => ((tx.outputs[0] as Tx['outputs'][number]).script = Uint8Array.of(0x4c, 0x44, ...Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')))), 'output-script', /^output 0 is a non-standard script;/],
    ['a tip never advertised', () => signedWith(() => undefined, { tipOf: new Uint8Array(randomBytes(32)) }), 'tip-unknown', /^tip [0-9a-f]{64} was never advertised by this calendar/],
    [
      'an oversized transaction',
      () =>
        signedWith((tx) => {
          for (let i = 0; i < 40; i++) tx.outputs.push({ value: 1000, script: Uint8Array.of(0x00, 0x14, ...randomBytes(20)) });
          (tx.outputs[0] as Tx['outputs'][number]).value -= 40_000;
        }),
      'too-large',
      /^the transaction is 1\d\d\d bytes; at most 1000 are taken$/,
    ],
    ['a huge witness', async () => altered(await signedWith(() => undefined), (tx) => (tx.inputs[0] as Tx['inputs'][number]).witness.push(new Uint8Array(randomBytes(500)))), 'too-heavy', /^the transaction weighs 1\d\d\d weight units \(its witness is \d+ bytes\); at most 1000 are taken$/],
    ['version 3', () => signedWith((tx) => (tx.version = 3)), 'version', /^version 3; only versions 1 and 2 are taken$/],
    ['a sequence of its choosing', () => signedWith((tx) => ((tx.inputs[0] as Tx['inputs'][number]).sequence = 0x45494341)), 'sequence', /^nSequence 0x45494341;/],
    ['a lock time that is a time', () => signedWith((tx) => (tx.lockTime = 1_800_000_000)), 'lock-time', /^nLockTime 1800000000 is a time;/],
    ['no OP_RETURN', () => signedWith((tx) => tx.outputs.pop()), 'no-op-return', /^no OP_RETURN output;/],
    [
      'a transaction spending an output that does not exist',
      async () => altered(await signedWith(() => undefined), (tx) => Object.assign(tx.inputs[0] as object, { prevTxid: new Uint8Array(randomBytes(32)), witness: fakeWitness() })),
      'input-missing',
      /^the output it spends \([0-9a-f]{64}:\d+\) does not exist or is spent$/,
    ],
    ['an unconfirmed input', () => signedWith(() => undefined, { utxo: utxos.unconfirmed }), 'input-unconfirmed', /is not confirmed yet; only confirmed outputs may be spent$/],
    [
      'a witness on a P2PKH output',
      async () => {
        const { tx } = await unsignedDonation(donor, tip, { utxo: utxos.legacy });
        (tx.inputs[0] as Tx['inputs'][number]).witness = fakeWitness();
        return encodeTx(tx);
      },
      'input-not-segwit',
      /^the input spends P2PKH output; only native segwit outputs/,
    ],
    ['no fee', () => signedWith(() => undefined, { fee: 0 }), 'fee-too-low', /^it pays 0 sats for \d+ vB \(0 sat\/vB\); the node relays from 1 sat\/vB$/],
    [
      'one the node refuses (a signature that does not verify)',
      async () =>
        altered(await signedWith(() => undefined), (tx) => {
          const sig = (tx.inputs[0] as Tx['inputs'][number]).witness[0] as Uint8Array;
          sig[10] = (sig[10] as number) ^ 0x01;
        }),
      'node-refused',
      /^the node would not take it: .*(script-verify-flag|Signature)/,
    ],
  ];

  for (const [what, build, code, reason] of cases) {
    it(`${what}: refused (${code}), nothing served changes`, async () => {
      const before = await served();
      const raw = await build();
      const r = await post(raw);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body).toMatchObject({ accepted: false, code });
      expect(r.body.reason).toMatch(reason);
      expect(await served()).toEqual(before);
    });
  }

  it('every code is its own', () => {
    const codes = cases.map((c) => c[2]).filter((c) => c !== 'output-script');
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('a body too large for the edge is not read at all (413)', async () => {
    const before = await served();
    const r = await fetch(`${cal.url}/donate`, { method: 'POST', body: new Uint8Array(20_000) });
    expect(r.status).toBe(413);
    expect(await r.text()).toBe('Request body too large');
    expect(await served()).toEqual(before);
  });

  it('a good one is taken; the same transaction twice, and another for the same tip, are refused', async () => {
    const good = finish(await signedWith(() => undefined, { utxo: utxos.b }), 0, utxos.b);
    const r = await post(good.raw);
    expect(r).toEqual({ status: 200, body: { accepted: true, txid: good.txid, tip: Buffer.from(tip).toString('hex'), commitments: 1 } });
    const after = await served();
    expect(after.tip).toBe('404 No transaction in progress');
    expect(after.offer).toMatchObject({ tip: null, covered: [{ txid: good.txid, confirmations: 0 }] });
    expect(after.reason).toBe(`Pending confirmation in Bitcoin blockchain; in donated transaction ${good.txid}`);
    const again = await post(good.raw);
    expect(again).toMatchObject({ status: 400, body: { accepted: false, code: 'already-accepted', reason: expect.stringMatching(new RegExp(`^transaction ${good.txid} was taken at `)) as string } });
    const other = await post(await signedWith(() => undefined, { utxo: utxos.c }));
    expect(other).toMatchObject({ status: 400, body: { code: 'tip-covered', reason: expect.stringMatching(new RegExp(`is covered by donated transaction ${good.txid}, taken before$`)) as string } });
    expect(await served()).toEqual(after);
    const metrics = await (await fetch(`${cal.url}/metrics`)).text();
    for (const code of ['input-count', 'op-return-length', 'output-script', 'tip-unknown', 'node-refused', 'already-accepted', 'tip-covered']) expect(metrics).toMatch(new RegExp(`ots_external_refusals_total\\{code="${code}"\\} [1-9]`));
  });

  it('a burst of posts is bounded: 429 (and 503) beyond the rate, every other one judged, nothing changes', async () => {
    const before = await served();
    const answers = await Promise.all(Array.from({ length: 40 }, () => fetch(`${cal.url}/donate`, { method: 'POST', body: new Uint8Array(randomBytes(100)) }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), text: await r.text() }))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.every((s) => s === 400 || s === 429 || s === 503)).toBe(true);
    for (const a of answers.filter((x) => x.status !== 400)) expect(Number(a.retry)).toBeGreaterThanOrEqual(1);
    for (const a of answers.filter((x) => x.status === 400)) expect(JSON.parse(a.text)).toMatchObject({ code: 'not-a-transaction' });
    expect(await served()).toEqual(before);
    // the bucket fills again: posts are judged once more
    await until(async () => (await fetch(`${cal.url}/donate`, { method: 'POST', body: new Uint8Array(randomBytes(100)) })).status === 400, 'the rate to allow a post again', 15_000);
  });

  it('once its commitments are anchored, the tip is refused as expired', async () => {
    await regtest.node.mine(1);
    await until(async () => (await fetch(`${cal.url}/timestamp/${commitment}`)).status === 200, 'the anchor', 20_000);
    const r = await post(await signedWith(() => undefined, { utxo: utxos.c }));
    expect(r).toMatchObject({ status: 400, body: { code: 'tip-expired', reason: expect.stringMatching(/is no longer wanted: a donated transaction for its commitments was taken at /) as string } });
  });
});
