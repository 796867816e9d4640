/** @module What a server says about itself on its welcome page and in `GET /status`: the one record every role fills in. */

/** One value of a flat status record. */
export type StatusValue = string | number | boolean | null;

/**
 * Everything the status page and `GET /status` show. The JSON answer is this object as it is, so
 * renaming a field breaks monitoring that reads it: add fields, do not rename them.
 */
export interface StatusInfo {
  software: string;
  version: string;
  /** `calendar`, `aggregator`, `mirror` or `stamper`: decides how the page explains the server. */
  role: string;
  /** The URL clients use for this server; for a calendar also the URI in its pending attestations. */
  uri: string;
  /** Who runs it, e.g. `Example Org <ops@example.org>`. */
  operator?: string;
  /** ISO 8601. */
  startedAt: string;
  uptimeSeconds: number;
  /**
   * The chain this server's proofs end in, as people call it ("Bitcoin", "Litecoin regtest"); absent when it
   * does not anchor (a calendar with anchoring off, an aggregator) or does not know.
   */
  chain?: string;
  /** Commitments in the journal. */
  commitments: number;
  /** Commitments no anchor covers yet (waiting for a transaction, or for ever when anchoring is off). */
  pendingCommitments?: number;
  /** Digests aggregated since this process started. */
  digests: number;
  ticks: number;
  tickMs: number;
  /** ISO 8601, or null before the first tick. */
  lastTickAt: string | null;
  /** Digests waiting for the next tick. */
  queued: number;
  /** Block explorer base URL for links: `<explorer>/tx/<txid>`, `<explorer>/address/<address>`, `<explorer>/block/<hash>`. */
  explorerUrl?: string;
  /**
   * Anchoring state as a flat record, shown in key order. Keys are labelled from their camelCase
   * ("lastAnchorHeight" → "Last anchor height") and formatted by their ending:
   * `…Txid` (64 hex) → transaction link; `…BlockHash` (64 hex) → block link; `…Address` → address link;
   * `…At` / `…Time` (ISO 8601 string or unix seconds) → UTC time and age; `…Sats` → "N sats";
   * `…SatVb` → "N sat/vB"; `…Invoice` → `lightning:` link; other numbers with thousands separators;
   * booleans yes/no; null "none".
   */
  anchoring?: Record<string, StatusValue>;
  /** Each anchoring strategy in the order it is tried (master calendars, the wallet), with its own record, shown like `anchoring`. */
  anchoringStrategies?: Array<{ name: string; kind: string; record: Record<string, StatusValue> }>;
  /**
   * The latest anchors, newest first: which strategy anchored them and who paid (`wallet`: this calendar's own
   * wallet, `upstream`: a master calendar, `external`: a donor), the transaction when known, the satoshis this
   * calendar did not pay for it (null when not known), when, in which block.
   */
  recentAnchors?: Array<{ by: string; paidBy: string; txid: string | null; feeNotPaidSats: number | null; at: string; height: number | null; commitments: number }>;
  /** Mirror: the follower's state as a flat record, shown like `anchoring`. */
  mirror?: Record<string, StatusValue>;
  /** Aggregator: how its upstream calendars answer, as a flat record shown like `anchoring`. */
  aggregator?: Record<string, StatusValue>;
  /** Stamper: what it paid and how it pays, as a flat record shown like `anchoring`. */
  stamper?: Record<string, StatusValue>;
  /** Stamper: each calendar it pays for (its URL without credentials), with a flat record of its health and the last decision. */
  stamperCalendars?: Array<{ url: string; record: Record<string, StatusValue> }>;
  /** A Lightning invoice (BOLT 11) or LNURL for donations. */
  lightningInvoice?: string;
  /** Aggregator: the calendars it submits to. Mirror: the calendar it follows. Stamper: the calendars it pays for. */
  upstreams?: string[];
  /** Calendar: public mirrors of its journal. */
  mirrors?: string[];
  /** Mirror: how far behind the upstream's journal it is, in seconds. */
  lagSeconds?: number;
}
