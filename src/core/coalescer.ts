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
