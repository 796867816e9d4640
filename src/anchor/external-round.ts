/**
 * @module The external strategy's round, as pure arithmetic on its state: the commitments a round holds, a newer tip added (the oldest leaving for the past beyond the bound), a round ended, and whether a transaction's tip is wanted — with the exact refusal when it is not.
 */
import type { CommitRange } from '../journal/index.js';
import { bytesEqual, bytesToHex } from '../ots/index.js';
import { type TipVerdict } from './donation-check.js';
import { DonationRefusedError } from './errors.js';
import type { AdvertisedTip, ExternalState, PastTip, Round } from './external-state.js';
import { normalize } from './ranges.js';
import type { WaitingTx } from './stamper-state.js';

/** A round's tips (each newer one covering more commitments) kept taken; older ones leave for the past. */
export const MAX_ROUND_TIPS = 128;
/** Tips no longer wanted, remembered so a late transaction for one is refused as such (or recognised in a block). */
export const MAX_PAST_TIPS = 256;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Every commitment a round holds: the union of its tips' (each newer tip covers more, unless some were anchored since). */
export function roundRanges(round: Round): CommitRange[] {
  return normalize(round.tips.flatMap((t) => t.ranges));
}

/** The commitments of a waiting transaction: the mined version's, or every version's. */
export function rangesOf(w: WaitingTx): CommitRange[] {
  const versions = w.mined === null ? w.versions : w.versions.filter((v) => v.txid === w.mined?.txid);
  return normalize(versions.flatMap((v) => v.ranges));
}

export function sameRanges(a: readonly CommitRange[], b: readonly CommitRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.start === b[i]?.start && r.end === b[i]?.end);
}

/** The past after `round` ended (its tips newest first in front), bounded. */
export function pastAfter(past: readonly PastTip[], round: Round, why: PastTip['why'], now: number): PastTip[] {
  return [...round.tips.map((t) => ({ ...t, until: now, why })).reverse(), ...past].slice(0, MAX_PAST_TIPS);
}

/** The round and past once `entry` is advertised: a new round, or the round's newest tip; beyond the bound the oldest are replaced. */
export function withTip(s: Pick<ExternalState, 'round' | 'past'>, entry: AdvertisedTip, now: number): { round: Round; past: PastTip[] } {
  const tips = [...(s.round?.tips ?? []), entry];
  const replaced: PastTip[] = tips.splice(0, Math.max(0, tips.length - MAX_ROUND_TIPS)).map((t) => ({ ...t, until: now, why: 'replaced' as const }));
  return {
    round: { startedAt: s.round?.startedAt ?? now, tips },
    // a tip advertised again (commitments handed back to a calendar without a wallet) is wanted again
    past: [...replaced.reverse(), ...s.past.filter((p) => !bytesEqual(p.tip, entry.tip))].slice(0, MAX_PAST_TIPS),
  };
}

/**
 * Whether `tip` is wanted for transaction `txid`: one of the round's tips whose commitments are not all anchored,
 * with the exact commitments it covers; otherwise the refusal, in this order: the transaction was taken before, a
 * held donated transaction covers the tip, the tip is unknown, or it is past (and why).
 */
export function tipVerdict(s: ExternalState, tip: Uint8Array, txid: string, o: { held: readonly WaitingTx[]; allAnchored: (ranges: readonly CommitRange[]) => boolean }): TipVerdict {
  const no = (code: ConstructorParameters<typeof DonationRefusedError>[0], reason: string): TipVerdict => ({ wanted: false, refusal: new DonationRefusedError(code, reason) });
  const known = s.donations.find((d) => d.txid === txid);
  if (known !== undefined) return no('already-accepted', `transaction ${txid} was taken at ${iso(known.takenAt)}`);
  const hex = bytesToHex(tip);
  const cover = o.held.find((w) => w.versions.some((v) => bytesEqual(v.tip, tip)));
  if (cover !== undefined) return no('tip-covered', `tip ${hex} is covered by donated transaction ${cover.versions[0]?.txid ?? ''}, taken before`);
  const live = s.round?.tips.find((t) => bytesEqual(t.tip, tip));
  if (live !== undefined) {
    if (o.allAnchored(live.ranges)) return no('tip-expired', `the commitments of tip ${hex} are anchored already`);
    return { wanted: true, ranges: live.ranges };
  }
  const past = s.past.find((p) => bytesEqual(p.tip, tip));
  if (past === undefined) return no('tip-unknown', `tip ${hex} was never advertised by this calendar (or is long forgotten)`);
  if (past.why === 'expired') return no('tip-expired', `tip ${hex} was advertised until ${iso(past.until)}; no transaction came in time and its commitments went to another strategy`);
  if (past.why === 'replaced') return no('tip-expired', `tip ${hex} was replaced by newer tips at ${iso(past.until)}, and is no longer among the ${MAX_ROUND_TIPS} taken`);
  return no('tip-expired', `tip ${hex} is no longer wanted: a donated transaction for its commitments was taken at ${iso(past.until)}`);
}
