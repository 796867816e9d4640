/**
 * @module Checking a mirrored proof's attestations against a node the mirror trusts, as the reference's backup
 * tool does (reference-server §6.2 step 3), and more: every attestation is the configured chain's and checked,
 * or the proof is refused.
 */
import type { BitcoinRpc } from '../bitcoin/index.js';
import { VerificationError, attestationToString, verifyBlockHeaderAttestation, type Timestamp } from '../ots/index.js';
import { AttestationError, NodeUnavailableError, UnexpectedAttestationError } from './errors.js';

/** The 80-byte header of the active chain's block at `height`, or undefined when the node has no block there (yet). */
export type HeaderSource = (height: number) => Promise<Uint8Array | undefined>;

/** Which attestation a chain gives (src/bitcoin/chains.ts): the only kind the checker accepts. */
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
 * The rule (src/mirror/README.md): a proof is accepted only when every attestation in it is a block attestation
 * of the configured chain's kind and each matches the node's header at its height. Anything else in it — another
 * chain's attestation, a pending one, an unknown kind — is an UnexpectedAttestationError, found before the node is
 * asked: the mirror would otherwise store and serve what it never checked. A wrong or missing attestation is an
 * AttestationError; node trouble a NodeUnavailableError (retry later).
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
    const all = timestamp.allAttestations();
    const foreign = all.find(({ attestation }) => attestation.kind !== this.kind);
    if (foreign) {
      throw new UnexpectedAttestationError(where, `${attestationToString(foreign.attestation)}: a proof from a ${this.kind} calendar carries ${this.kind} block attestations only, each checked against the node`);
    }
    let checked = 0;
    for (const { msg, attestation } of all) {
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
