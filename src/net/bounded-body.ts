/** @module Reading an HTTP answer's body with a size bound (and optionally a shared byte budget), refused before it is all buffered (for every client of another server: mirrors, aggregators). */
import { BufferFullError, type ByteBudget } from './byte-budget.js';

/** The body is longer than the reader accepts; `declared` when its Content-Length already said so. */
export class BodyTooLongError extends Error {
  readonly code = 'body-too-long';
  constructor(
    readonly max: number,
    readonly declared?: string,
  ) {
    super(declared === undefined ? `body exceeds ${max} bytes` : `body of ${declared} bytes exceeds ${max}`);
    this.name = 'BodyTooLongError';
  }
}

/**
 * The body of `res`, at most `max` bytes: BodyTooLongError (the stream cancelled) beyond. With a `budget`, every
 * piece is taken from it as it arrives (BufferFullError when it does not fit, everything given back); the bytes
 * of a body returned stay taken, and the caller gives them back once it let go of them. A failure of the stream
 * itself (reset, abort, timeout) is rethrown as it came, for the caller to classify.
 */
export async function readAtMost(res: Response, max: number, budget?: ByteBudget): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLongError(max, declared);
  }
  if (!res.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > max) throw new BodyTooLongError(max);
      if (budget && !budget.take(value.length)) throw new BufferFullError(budget.max, total + value.length, budget.held - total);
      total += value.length;
      parts.push(value);
    }
  } catch (err) {
    budget?.give(total);
    await reader.cancel().catch(() => undefined);
    throw err;
  }
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, total);
}
