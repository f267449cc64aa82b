/**
 * Signals for one provider call: the caller's signal (task cancelled / shutdown) and our own
 * deadline. They are kept apart so an error can be told apart afterwards: caller aborted →
 * ProviderAborted; deadline fired → ProviderUnavailable('timeout').
 *
 * The SDKs' own `timeout` only covers the wait for response headers (the timer is cleared once
 * fetch resolves), so a stream that stalls after the headers would hang without this deadline.
 */
export interface CallSignals {
  /** Pass this one to the request: it fires on either. */
  signal: AbortSignal;
  caller?: AbortSignal;
  deadline: AbortSignal;
}

export function callSignals(caller: AbortSignal | undefined, timeoutMs: number): CallSignals {
  const deadline = AbortSignal.timeout(Math.max(1, timeoutMs));
  return { signal: caller ? AbortSignal.any([caller, deadline]) : deadline, caller, deadline };
}

/**
 * Wait `ms`, or less if `wake` resolves first. Rejects with the signal's reason when it fires
 * (callers classify that afterwards from which signal aborted).
 */
export function sleep(ms: number, signal?: AbortSignal, wake?: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
    wake?.then(done, done);
  });
}
