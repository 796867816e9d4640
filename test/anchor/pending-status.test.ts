// The 404 reasons: every variant, for both chain names and the longest numbers, within what clients show unaltered (160 characters of [A-Za-z0-9#-.,; ], reference-server §1.3).
import { describe, expect, it } from 'vitest';
import { type PendingView, MAX_REASON_LENGTH, defaultReason, isClientSafeReason, pendingReason } from '../../src/anchor/index.js';

const TXID = 'f'.repeat(64);
const OTHER = 'a'.repeat(64);

/** What the python client does to a 404 body (opentimestamps get_sanitised_resp_msg): 160 characters, others replaced. */
function clientShows(body: string): string {
  return body.slice(0, 160).replace(/[^A-Za-z0-9#-.,; ]/g, '_');
}

function view(over: Partial<PendingView>): PendingView {
  return { chainWord: 'Bitcoin', confirmations: 6, unconfirmed: undefined, waiting: [], paused: undefined, nextTxInSeconds: undefined, ...over };
}

const variants: Array<[string, Partial<PendingView>, number, string]> = [
  ['default', {}, 5, 'Pending confirmation in Bitcoin blockchain'],
  ['mined, counting confirmations', { waiting: [{ txid: TXID, ranges: [{ start: 0, end: 10 }], depth: 999 }], confirmations: 1000 }, 5, `Timestamped by transaction ${TXID}; 999 of 1000 confirmations`],
  ['back in the mempool after a reorg', { waiting: [{ txid: TXID, ranges: [{ start: 0, end: 10 }], depth: null }] }, 5, `Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${TXID}`],
  ['in the unconfirmed transaction', { unconfirmed: { txid: TXID, ranges: [{ start: 0, end: 10 }], feeCapped: false } }, 5, `Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${TXID}`],
  ['in it, at the fee cap', { unconfirmed: { txid: TXID, ranges: [{ start: 0, end: 10 }], feeCapped: true } }, 5, `Pending confirmation in Bitcoin blockchain; in unconfirmed transaction ${TXID}; fee cap reached`],
  ['not yet in it', { unconfirmed: { txid: TXID, ranges: [{ start: 0, end: 10 }], feeCapped: false } }, 10, `Pending confirmation in Bitcoin blockchain; joins transaction ${TXID} at the next block`],
  ['not in it, at the fee cap', { unconfirmed: { txid: TXID, ranges: [{ start: 0, end: 10 }], feeCapped: true } }, 10, `Pending confirmation in Bitcoin blockchain; waiting for transaction ${TXID} to confirm`],
  ['not in it, which is full', { unconfirmed: { txid: TXID, ranges: [{ start: 0, end: 10 }], feeCapped: false, full: true } }, 10, `Pending confirmation in Bitcoin blockchain; waiting for transaction ${TXID} to confirm`],
  ['empty wallet', { paused: 'wallet-empty' }, 5, 'Pending confirmation in Bitcoin blockchain; stamping paused, the wallet has no spendable funds'],
  ['fee cap before any transaction', { paused: 'fee-cap' }, 5, 'Pending confirmation in Bitcoin blockchain; stamping paused, fee cap reached'],
  ['node unreachable', { paused: 'node-unavailable' }, 5, 'Pending confirmation in Bitcoin blockchain; node unreachable, retrying'],
  ['waiting for the interval', { nextTxInSeconds: 7 * 86_400 * 1.5 }, 5, 'Pending confirmation in Bitcoin blockchain; next transaction in about 15120 min'],
  ['interval almost over', { nextTxInSeconds: 0.2 }, 5, 'Pending confirmation in Bitcoin blockchain; next transaction in about 1 min'],
];

describe('pending reasons', () => {
  it.each(variants)('%s', (_name, over, n, want) => {
    const reason = pendingReason(view(over), n);
    expect(reason).toBe(want);
    expect(isClientSafeReason(reason)).toBe(true);
    expect(clientShows(reason)).toBe(reason);
  });

  it.each(variants)('%s, on Litecoin: also within the limits', (_name, over, n) => {
    const reason = pendingReason(view({ ...over, chainWord: 'Litecoin' }), n);
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(clientShows(reason)).toBe(reason);
    if (reason.startsWith('Pending')) expect(reason.startsWith(defaultReason('Litecoin'))).toBe(true);
  });

  it('the most precise place wins: mined over unconfirmed over paused', () => {
    const v = view({
      waiting: [{ txid: OTHER, ranges: [{ start: 0, end: 3 }], depth: 2 }],
      unconfirmed: { txid: TXID, ranges: [{ start: 3, end: 6 }], feeCapped: false },
      paused: 'node-unavailable',
    });
    expect(pendingReason(v, 1)).toBe(`Timestamped by transaction ${OTHER}; 2 of 6 confirmations`);
    expect(pendingReason(v, 4)).toContain(`in unconfirmed transaction ${TXID}`);
    expect(pendingReason(v, 9)).toContain('node unreachable');
  });

  it('judges the limit at 160 and 161 characters and the characters clients replace', () => {
    expect(isClientSafeReason('a'.repeat(160))).toBe(true);
    expect(isClientSafeReason('a'.repeat(161))).toBe(false);
    for (const bad of [':', '_', '\n', '/', '(', 'é']) expect(isClientSafeReason(`Pending${bad}`)).toBe(false);
    for (const ok of ['#', '-', '.', ',', ';', ' ']) expect(isClientSafeReason(`Pending${ok}`)).toBe(true);
  });

  it('falls back to the default text when a variant would not be shown as written', () => {
    const v = view({ waiting: [{ txid: 'x'.repeat(200), ranges: [{ start: 0, end: 1 }], depth: 1 }] });
    expect(pendingReason(v, 0)).toBe('Pending confirmation in Bitcoin blockchain');
  });
});
