/**
 * Sends queued items together: items queued while a call is on its way go out in the next call, in
 * the order queued (at most `max` per call), one call at a time. Under load many items share one
 * database round trip; alone, an item goes out `delayMs` after it was queued (0: on the next turn of
 * the event loop). Each `push` settles with its call.
 */
export class Coalescer<T, R = void> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private busy = false;

  constructor(
    private readonly send: (items: T[]) => Promise<R>,
    private readonly opts: { max?: number; delayMs?: number } = {},
  ) {}

  push(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.busy) return;
      this.busy = true;
      const run = () => void this.run();
      if (this.opts.delayMs) setTimeout(run, this.opts.delayMs);
      else setImmediate(run);
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length) {
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
