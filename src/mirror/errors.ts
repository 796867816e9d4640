/** @module The mirror's typed errors: transient upstream trouble (retried) apart from verification failures (following stops), each with a stable `code`. */

/** Base of every mirror error; `code` is stable and doubles as the metric label. */
export abstract class MirrorError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The upstream could not be asked right now: network error, timeout, a 5xx or 429 from it or a proxy.
 * Nothing is wrong with what the mirror holds; the follower retries with backoff.
 */
export class UpstreamUnavailableError extends MirrorError {
  readonly code = 'mirror-upstream-unavailable';
  constructor(readonly url: string, detail: string, options?: { cause?: unknown }) {
    super(`upstream unavailable: ${url}: ${detail}`, options);
  }
}

/**
 * The node that checks attestations cannot answer yet (down, or it lacks the attested block): retried,
 * nothing is stored meanwhile.
 */
export class NodeUnavailableError extends MirrorError {
  readonly code = 'mirror-node-unavailable';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`attestation node unavailable: ${detail}`, options);
  }
}

/**
 * A body from the upstream did not fit beside the others the mirror holds (its prefetched chunks): nothing is
 * wrong with the upstream; the follower drops what it prefetched and asks for that body alone. (A body that
 * alone exceeds the buffer is an UpstreamProtocolError.)
 */
export class MirrorBufferFullError extends MirrorError {
  readonly code = 'mirror-buffer-full';
  constructor(readonly url: string, detail: string) {
    super(`mirror buffer full: ${url}: ${detail}`);
  }
}

/**
 * The upstream served something that does not verify. The follower stops at once, keeps everything it
 * had verified before, and reports this error; only a restart (after the operator looked) tries again.
 */
export abstract class VerificationFailedError extends MirrorError {}

/** The answer is not what the protocol says (status, headers, JSON, lengths): not a journal API we can trust. */
export class UpstreamProtocolError extends VerificationFailedError {
  readonly code = 'mirror-protocol';
  constructor(readonly url: string, detail: string) {
    super(`upstream protocol violation: ${url}: ${detail}`);
  }
}

/** A record's frame, checksum or payload is damaged (a tampered or truncated chunk). */
export class RecordCorruptError extends VerificationFailedError {
  readonly code = 'mirror-record-corrupt';
  constructor(readonly seq: number, detail: string, options?: { cause?: unknown }) {
    super(`record ${seq} from upstream is corrupt: ${detail}`, options);
  }
}

/** Records do not continue the local journal (a gap, a repeat, or an upstream shorter than the mirror whose records differ). */
export class SequenceError extends VerificationFailedError {
  readonly code = 'mirror-sequence';
  constructor(detail: string) {
    super(`upstream records do not continue the mirror's journal: ${detail}`);
  }
}

/**
 * The head hash computed over the mirror's records and the new ones differs from the one the upstream
 * states: it rewrote records (possibly ones the mirror already holds) or serves another journal.
 */
export class HeadHashMismatchError extends VerificationFailedError {
  readonly code = 'mirror-head-hash';
  constructor(readonly size: number, readonly ours: string, readonly theirs: string) {
    super(`head hash mismatch at size ${size}: the records give ${ours}, upstream states ${theirs}; upstream rewrote its journal or serves another one`);
  }
}

/** An anchor names commitments the journal does not hold before it. */
export class AnchorRangeError extends VerificationFailedError {
  readonly code = 'mirror-anchor-range';
  constructor(readonly seq: number, detail: string) {
    super(`anchor record ${seq} is forged: ${detail}`);
  }
}

/** An anchor's stated tip is not the merkle tip of the commitments it names. */
export class AnchorTipError extends VerificationFailedError {
  readonly code = 'mirror-anchor-tip';
  constructor(readonly seq: number, readonly stated: string, readonly computed: string) {
    super(`anchor record ${seq} is forged: it states tip ${stated}, its commitments give ${computed}`);
  }
}

/** An anchor's timestamp does not decode from its tip. */
export class AnchorTimestampError extends VerificationFailedError {
  readonly code = 'mirror-anchor-timestamp';
  constructor(readonly seq: number, detail: string, options?: { cause?: unknown }) {
    super(`anchor record ${seq} has an invalid timestamp: ${detail}`, options);
  }
}

/** An attestation does not match the block header the node has at its height (or there is none to check). */
export class AttestationError extends VerificationFailedError {
  readonly code = 'mirror-attestation';
  constructor(readonly where: string, detail: string, options?: { cause?: unknown }) {
    super(`${where}: attestation does not verify: ${detail}`, options);
  }
}

/**
 * A proof carries an attestation the mirror cannot check against its node: another chain's, a pending one, an
 * unknown kind. Only the configured chain's block attestations, each checked, are accepted (src/mirror/README.md).
 */
export class UnexpectedAttestationError extends VerificationFailedError {
  readonly code = 'mirror-attestation-unexpected';
  constructor(readonly where: string, detail: string) {
    super(`${where}: attestation not accepted: ${detail}`);
  }
}

/** A revocation names no anchor record. */
export class RevocationError extends VerificationFailedError {
  readonly code = 'mirror-revocation';
  constructor(readonly seq: number, readonly anchorSeq: number) {
    super(`revocation record ${seq} names record ${anchorSeq}, which is not an anchor`);
  }
}

/** A backup chunk (`/experimental/backup/<n>`) is malformed or its proofs do not hold together. */
export class BackupChunkError extends VerificationFailedError {
  readonly code = 'mirror-backup-chunk';
  constructor(readonly chunk: number, detail: string, options?: { cause?: unknown }) {
    super(`backup chunk ${chunk} does not verify: ${detail}`, options);
  }
}
