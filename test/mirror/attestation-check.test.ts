/**
 * The attestation rule of a mirror that checks against a node: a proof is accepted only when every attestation
 * in it is the configured chain's block attestation; another chain's, a pending one or an unknown kind refuses
 * the proof with a stable code before the node is asked. (Matching real headers is shown against a real
 * litecoind -regtest in end-to-end.test.ts; here the header source only records that it was not asked.)
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { AttestationChecker, AttestationError, UnexpectedAttestationError, VerificationFailedError } from '../../src/mirror/index.js';
import { Timestamp, litecoinAttestation, pendingAttestation, unknownAttestation, type Attestation } from '../../src/ots/index.js';
import { syntheticAnchorTimestamp } from './fixtures/journal-builder.js';

/** An anchor-shaped timestamp from a tip to a Bitcoin attestation, with `extra` attestations on the tip. */
function anchor(extra: Attestation[]): Timestamp {
  const tip = new Uint8Array(randomBytes(32));
  const t = Timestamp.fromBytes(syntheticAnchorTimestamp(812_000), tip);
  for (const a of extra) t.attest(a);
  return t;
}

function checkerAskedNothing(): { checker: AttestationChecker; asked: number[] } {
  const asked: number[] = [];
  const checker = new AttestationChecker(async (height) => {
    asked.push(height);
    return undefined;
  }, 'bitcoin');
  return { checker, asked };
}

describe('AttestationChecker', () => {
  for (const [name, extra, shown] of [
    ['another chain\'s', litecoinAttestation(999), 'LitecoinBlockHeaderAttestation(999)'],
    ['a pending', pendingAttestation('http://evil.example'), "PendingAttestation('http://evil.example')"],
    ['an unknown', unknownAttestation(new Uint8Array(8).fill(7), new Uint8Array([1, 2, 3])), 'UnknownAttestation('],
  ] as const) {
    it(`refuses a proof that keeps its Bitcoin attestation but gains ${name} attestation, without asking the node`, async () => {
      const { checker, asked } = checkerAskedNothing();
      const err = await checker.check('anchor record 7', anchor([extra])).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnexpectedAttestationError);
      expect(err).toBeInstanceOf(VerificationFailedError);
      expect((err as UnexpectedAttestationError).code).toBe('mirror-attestation-unexpected');
      expect((err as Error).message).toContain(`anchor record 7: attestation not accepted: ${shown}`);
      expect(asked).toEqual([]);
    });
  }

  it('asks the node for each of the chain\'s attestations, and refuses a proof with none', async () => {
    const { checker, asked } = checkerAskedNothing();
    // the node has no block there: wait for it, do not judge
    await expect(checker.check('anchor record 1', anchor([]))).rejects.toMatchObject({ code: 'mirror-node-unavailable' });
    expect(asked).toEqual([812_000]);
    const litecoin = new AttestationChecker(async () => undefined, 'litecoin');
    const err = await litecoin.check('anchor record 2', Timestamp.fromBytes(syntheticAnchorTimestamp(5), new Uint8Array(32))).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedAttestationError);
    expect((err as Error).message).toContain('BitcoinBlockHeaderAttestation(5)');
    const none = await checker.check('anchor record 3', new Timestamp(new Uint8Array(32))).then(() => undefined, (e: unknown) => e);
    expect(none).toBeInstanceOf(AttestationError);
    expect((none as Error).message).toBe('anchor record 3: attestation does not verify: it has no bitcoin attestation to check');
    expect((none as AttestationError).code).not.toBe((err as UnexpectedAttestationError).code);
  });
});
