/** @module Upgrading a timestamp from local answers instead of the calendars: the clients' upgrade walk (ots-format.md §8–9), offline. */
import type { Answer } from '../calendar/calendar.js';
import { attestationKey, bytesToHex, Timestamp } from '../ots/index.js';

/** Where `commitment` stands on the calendar `uri`, or undefined when that calendar is not mirrored here. */
export type LocalAnswer = (uri: string, commitment: Uint8Array) => Answer | undefined;

export interface UpgradeReport {
  /** Pending nodes that received a proof. */
  upgraded: number;
  /** Whether the timestamp now has a Bitcoin attestation anywhere (python's is_timestamp_complete). */
  complete: boolean;
  /** Pending nodes left as they were, with the reason their calendar's mirror gives. */
  pending: Array<{ uri: string; commitment: string; reason: string }>;
  /** Calendars named by pending attestations that are not mirrored here. */
  notMirrored: string[];
}

function hasBlockAttestation(t: Timestamp): boolean {
  return t.allAttestations().some(({ attestation }) => attestation.kind === 'bitcoin' || attestation.kind === 'litecoin');
}

/**
 * At every node carrying a PendingAttestation whose calendar is mirrored, merges that mirror's complete proof
 * into the node, as `ots upgrade` merges the calendar's answer. The pending attestation stays (python keeps it
 * too); a node whose subtree already reaches a block is left alone (the JavaScript client's rule). Changes `t`.
 */
export function upgradeTimestamp(t: Timestamp, answer: LocalAnswer): UpgradeReport {
  const report: UpgradeReport = { upgraded: 0, complete: false, pending: [], notMirrored: [] };
  const targets: Array<{ node: Timestamp; uri: string }> = [];
  const stack: Timestamp[] = [t];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    for (const a of node.attestations) if (a.kind === 'pending') targets.push({ node, uri: a.uri });
    for (const { child } of node.ops.values()) stack.push(child);
  }
  for (const { node, uri } of targets) {
    if (hasBlockAttestation(node)) continue;
    const found = answer(uri, node.msg);
    if (found === undefined) {
      if (!report.notMirrored.includes(uri)) report.notMirrored.push(uri);
      continue;
    }
    if (found.kind !== 'complete') {
      report.pending.push({ uri, commitment: bytesToHex(node.msg), reason: found.kind === 'pending' ? found.reason : 'Not found' });
      continue;
    }
    const proof = Timestamp.fromBytes(found.proof, node.msg);
    const have = new Set(node.allAttestations().map(({ attestation }) => attestationKey(attestation)));
    if (proof.allAttestations().some(({ attestation }) => !have.has(attestationKey(attestation)))) {
      node.merge(proof);
      report.upgraded++;
    }
  }
  report.complete = t.isComplete();
  return report;
}
