/** @module How a cycle step's outcome is told: a log line for what was sent, a condition (logged once, shown in the status and the 404 reasons) for what could not be. */
import type { Log } from '../log/log.js';
import { countOf } from './anchor-ledger.js';
import type { Conditions } from './conditions.js';
import type { TxVersion } from './stamper-state.js';
import type { CycleOutcome } from './timestamp-cycle.js';

/** `previous`: the version a replacement was meant to replace; undefined for a cycle's first version. */
export function reportOutcome(out: CycleOutcome, previous: TxVersion | undefined, c: Conditions, log: Log): void {
  switch (out.kind) {
    case 'sent': {
      const v = out.version;
      log('info', previous === undefined ? 'timestamp transaction sent' : 'timestamp transaction replaced', {
        txid: v.txid,
        ...(previous === undefined ? {} : { replaces: previous.txid }),
        fee: v.fee,
        satPerVb: Math.round((v.fee / v.vsize) * 100) / 100,
        commitments: countOf(v.ranges),
        version: out.cycle.versions.length,
        attempts: out.attempts,
      });
      c.clear('wallet-empty');
      c.clear('tx-rejected');
      if (out.capped) c.raise('fee-cap', 'warn', `fee cap reached: transaction ${v.txid} pays ${v.fee} sat, the most allowed`);
      else if (previous === undefined) c.clear('fee-cap');
      return;
    }
    case 'fee-cap':
      c.raise(
        'fee-cap',
        'warn',
        previous === undefined
          ? `fee cap reached: a transaction needs ${out.needed} sat, the cap is ${out.cap}; stamping paused, intake continues`
          : `fee cap reached: transaction ${previous.txid} stays as is (a replacement needs ${out.needed} sat, the cap is ${out.cap})`,
      );
      return;
    case 'no-funds':
      c.raise('wallet-empty', 'warn', `the wallet cannot pay for a timestamp transaction: ${out.detail}; stamping paused, intake continues`);
      return;
    case 'rejected':
      c.raise(
        'tx-rejected',
        'warn',
        previous === undefined ? `the node refused the timestamp transaction: ${out.message}` : `the node refused a replacement of ${previous.txid} (${out.message}); that version stays`,
      );
      return;
  }
}
