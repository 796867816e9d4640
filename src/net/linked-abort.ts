/**
 * @module A signal that aborts with its parent or after a timeout, and is let go of when its request is done.
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` over a long-lived parent keeps every combined signal
 * reachable on Node 20 (about 70 bytes each), so a follower making a request a second for years would leak.
 */

export interface LinkedAbort {
  signal: AbortSignal;
  /** Clears the timer and unhooks from the parent; call once the request and its body are done. */
  dispose(): void;
}

export function linkedAbort(parent: AbortSignal | undefined, timeoutMs: number): LinkedAbort {
  const ac = new AbortController();
  // the same error AbortSignal.timeout gives, so callers tell a timeout from their own abort the same way
  const timer = setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  const onAbort = (): void => ac.abort(parent?.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
