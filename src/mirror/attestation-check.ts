/** @module Checking block-header attestations against a node the mirror trusts, as the reference's backup tool does (reference-server §6.2 step 3). */
import type { BitcoinRpc } from '../bitcoin/index.js';
import { VerificationError, verifyBlockHeaderAttestation, type Timestamp } from '../ots/index.js';
import { AttestationError, NodeUnavailableError } from './errors.js';

/** The 80-byte header of the active chain's block at `height`, or undefined when the node has no block there (yet). */
export type HeaderSource = (height: number) => Promise<Uint8Array | undefined>;

/** Which attestation a chain gives (src/bitcoin/chains.ts): the checker checks that kind and ignores others. */
export type CheckedKind = 'bitcoin' | 'litecoin';

/** Headers from Bitcoin Core over RPC; each header is re-hashed against the block hash asked for. */
export function nodeHeaderSource(rpc: Pick<BitcoinRpc, 'getBlockHash' | 'getBlockHeaderRaw'>): HeaderSource {
  return async (height) => {
    const blockHash = await rpc.getBlockHash(height);
    return blockHash === null ? undefined : rpc.getBlockHeaderRaw(blockHash);
  };
}

function matches(msg: Uint8Array, header: Uint8Array): boolean {
  try {
    verifyBlockHeaderAttestation(msg, header);
    return true;
  } catch (err) {
    if (err instanceof VerificationError) return false;
    throw err;
  }
}

/** Headers kept between checks: an anchor is checked once, but a backup chunk names the same blocks many times. */
const HEADER_CACHE = 1024;

/**
 * Checks every attestation of one kind in a timestamp against the node's header at its height. Node trouble
 * is a NodeUnavailableError (retry later); a wrong or missing attestation is an AttestationError.
 */
export class AttestationChecker {
  readonly kind: CheckedKind;
  readonly #headerAt: HeaderSource;
  readonly #headers = new Map<number, Uint8Array>();

  constructor(headerAt: HeaderSource, kind: CheckedKind) {
    this.#headerAt = headerAt;
    this.kind = kind;
  }

  /** Returns the number of attestations checked; `where` names the proof in errors ("anchor record 12"). */
  async check(where: string, timestamp: Timestamp, opts: { requireOne: boolean } = { requireOne: true }): Promise<number> {
    let checked = 0;
    for (const { msg, attestation } of timestamp.allAttestations()) {
      if (attestation.kind !== this.kind) continue;
      const height = attestation.height;
      if (!matches(msg, await this.#header(height))) {
        // a cached header may predate a reorg: judge only on a fresh one
        this.#headers.delete(height);
        try {
          verifyBlockHeaderAttestation(msg, await this.#header(height));
        } catch (err) {
          if (err instanceof VerificationError) throw new AttestationError(where, `${this.kind} block ${height}: ${err.message}`, { cause: err });
          throw err;
        }
      }
      checked++;
    }
    if (checked === 0 && opts.requireOne) throw new AttestationError(where, `it has no ${this.kind} attestation to check`);
    return checked;
  }

  async #header(height: number): Promise<Uint8Array> {
    const cached = this.#headers.get(height);
    if (cached) return cached;
    let header: Uint8Array | undefined;
    try {
      header = await this.#headerAt(height);
    } catch (cause) {
      throw new NodeUnavailableError(`header at height ${height}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (header === undefined) throw new NodeUnavailableError(`the node has no block at height ${height} yet`);
    this.#headers.set(height, header);
    if (this.#headers.size > HEADER_CACHE) this.#headers.delete(this.#headers.keys().next().value as number);
    return header;
  }
}
