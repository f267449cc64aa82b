/**
 * Sends queued items together: items queued while a call is on its way go out in the next call, in
 * the order queued (at most `max` per call), one call at a time. Under load many items share one
 * database round trip; alone, an item goes out on the next turn of the event loop. With
 * `minIntervalMs`, calls start at least that far apart: a busy stream of items goes out in a few
 * calls per interval, while an item queued after a quiet spell still goes at once. Each `push`
 * settles with its call.
 */
export class Coalescer<T, R = void> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private busy = false;
  private lastCallAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: (items: T[]) => Promise<R>,
    private readonly opts: { max?: number; minIntervalMs?: number } = {},
  ) {}

  push(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.busy) return;
      this.busy = true;
      setImmediate(() => void this.run());
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length) {
      const wait = this.lastCallAt + (this.opts.minIntervalMs ?? 0) - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.lastCallAt = performance.now();
      const batch = this.queue.splice(0, this.opts.max ?? 200);
      try {
        const r = await this.send(batch.map((b) => b.item));
        for (const b of batch) b.resolve(r);
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.busy = false;
  }
}

const SHARED_CALL_FAILED: unique symbol = Symbol('shared call failed');

/**
 * Runs each item in a call shared with the items queued beside it (a Coalescer) and answers with that
 * call's result, from which the caller reads its own part. Two guards keep one item's fault its own:
 * a shared call that fails is run again for each of its items alone (a failed call of one item
 * throws), and an item whose key is already waiting runs alone (a call holds one item per key).
 */
export function sharedCalls<T, R>(
  run: (items: T[]) => Promise<R>,
  keyOf: (item: T) => string,
): (item: T) => Promise<R> {
  const calls = new Coalescer<T, R | typeof SHARED_CALL_FAILED>(async (items) => {
    try {
      return await run(items);
    } catch (e) {
      if (items.length === 1) throw e;
      return SHARED_CALL_FAILED;
    }
  });
  const waiting = new Set<string>();
  return async (item) => {
    const key = keyOf(item);
    if (waiting.has(key)) return run([item]);
    waiting.add(key);
    try {
      const r = await calls.push(item);
      return r === SHARED_CALL_FAILED ? await run([item]) : r;
    } finally {
      waiting.delete(key);
    }
  };
}
