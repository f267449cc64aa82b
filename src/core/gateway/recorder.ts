import { isDatabaseUnavailable, isTransientDatabaseError } from '../databaseErrors.js';
import type { GatewayCallRecord, GatewayStore } from './ports.js';

/**
 * Writes finished calls in batches, off the hot path: a batch goes when `maxBatch` calls wait or
 * `flushMs` after the first; one batch at a time. A batch that fails is kept and retried with
 * back-off (the store is idempotent by task id), so a database blip loses nothing; `stop()` flushes
 * everything that waits (shutdown). A failure for a passing reason (the database down, a deadlock, a
 * serialization failure, a lock or statement timeout, out of memory: isTransientDatabaseError) is
 * retried for as long as it takes, never dropped; smaller each time unless the database is simply
 * down (a batch that times out every time still gets through a call at a time). A batch the database refuses for its data is split in
 * halves until the call at fault is alone; that call is logged and dropped after three tries, so one
 * bad call never blocks the others, and what it holds goes back through `dropped` (its account
 * reservations; its budget hold settled, charged the call's priced cost). Each attempt is priced (`prepare`) before its batch is
 * written and the calls' budgets are settled (`settle`) after it: the response never waits for either.
 */
export class CallRecorder {
  private queue: GatewayCallRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  /** The size of the next batch: smaller after a batch the database refused for its data. */
  private batchSize: number;

  constructor(
    private readonly store: Pick<GatewayStore, 'record'>,
    private readonly opts: {
      flushMs?: number;
      maxBatch?: number;
      /** Before a batch is written, off the hot path: prices each attempt from its real usage. */
      prepare?: (batch: GatewayCallRecord[]) => Promise<void>;
      /**
       * After a batch is written: settles the budgets of its budgeted calls (idempotent, so a
       * batch written twice settles once). A failure is logged; the budget job's sweep settles later.
       */
      settle?: (batch: GatewayCallRecord[]) => Promise<void>;
      /**
       * A call dropped (the database refused its row three times for its data): gives back what it
       * holds (its account reservations; its budget hold, settled with the call's cost), else they
       * stay reserved for as long as this process lives. A failure is logged.
       */
      dropped?: (call: GatewayCallRecord) => Promise<void>;
      log?: { warn(m: string, meta?: Record<string, unknown>): void };
    } = {},
  ) {
    this.batchSize = opts.maxBatch ?? 200;
  }

  get pending(): number {
    return this.queue.length;
  }

  add(call: GatewayCallRecord): void {
    this.queue.push(call);
    if (this.queue.length >= (this.opts.maxBatch ?? 200)) this.kick(0);
    else this.kick(this.opts.flushMs ?? 20);
  }

  private kick(ms: number): void {
    if (this.running) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flushOnce();
    }, ms);
    this.timer.unref?.();
  }

  private async flushOnce(): Promise<void> {
    if (this.running || !this.queue.length) return;
    const batch = this.queue.splice(0, this.batchSize);
    this.running = (async () => {
      try {
        await this.opts.prepare?.(batch);
        await this.store.record(batch);
        this.failures = 0;
        if (this.opts.settle)
          await this.opts.settle(batch).catch((e) =>
            this.opts.log?.warn('Could not settle the budgets of gateway calls; the budget job will', {
              calls: batch.length,
              err: (e as Error).message,
            }),
          );
        this.batchSize = this.opts.maxBatch ?? 200;
      } catch (e) {
        this.failures++;
        if (!isTransientDatabaseError(e) && batch.length === 1 && this.failures >= 3) {
          this.failures = 0;
          this.opts.log?.warn('Dropped a gateway call the database refuses to record', {
            taskId: batch[0]!.taskId,
            err: (e as Error).message,
          });
          await this.opts.dropped?.(batch[0]!).catch((err) =>
            this.opts.log?.warn('Could not give back what a dropped gateway call held', {
              taskId: batch[0]!.taskId,
              err: (err as Error).message,
            }),
          );
          return;
        }
        this.queue.unshift(...batch);
        // Smaller next time unless the database is simply away: a batch that times out or runs out of
        // memory every time must still get through (its calls are never dropped for that).
        if (!isDatabaseUnavailable(e)) this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        this.opts.log?.warn('Could not record gateway calls; will retry', {
          calls: batch.length,
          err: (e as Error).message,
        });
        if (this.stopped) throw e;
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
    if (this.queue.length && !this.stopped)
      this.kick(this.failures ? Math.min(5_000, 100 * 2 ** this.failures) : 0);
  }

  /** Writes everything that waits (retrying a few times), then refuses to schedule more timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => {});
    for (let tries = 0; this.queue.length && tries < 5; tries++) {
      try {
        await this.flushOnce();
      } catch {
        await new Promise((r) => setTimeout(r, 200 * (tries + 1)));
      }
    }
  }

  /** Waits until every call handed over so far is written (tests). */
  async drain(): Promise<void> {
    while (this.queue.length || this.running) {
      if (this.running) await this.running.catch(() => {});
      else await this.flushOnce();
    }
  }
}
