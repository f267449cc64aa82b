/**
 * An in-process doorbell between the Manus webhook route and the Manus poller: when a verified
 * webhook arrives for a Manus task id, the route calls `manusEvents.notify(taskId, payload)` and a
 * poller following that task wakes up and polls at once instead of sleeping out its interval.
 *
 * It only shortens waits; it never carries results (the poller always re-reads the task from the
 * API, which stays the source of truth). In a split deployment where webhooks land on an API process
 * and the poller runs in a worker, nobody in the API process is listening and `notify` returns
 * false: the poller simply finds the result on its next regular poll.
 *
 * Only tasks someone is watching are remembered, so webhooks for unknown ids cannot grow memory.
 */
export interface ManusWatch {
  /** Resolves on the next notify for this task (or at once if one arrived since the last wait). */
  next(): Promise<unknown>;
  /** The payload of the most recent notify, if any. */
  readonly lastPayload: unknown;
  close(): void;
}

interface Entry {
  pending: boolean;
  payload: unknown;
  /** One shared promise for everyone waiting on this task, so repeated waits do not pile up. */
  waiting?: { promise: Promise<unknown>; resolve: (payload: unknown) => void };
  watchers: number;
}

function wake(e: Entry, payload: unknown): void {
  const w = e.waiting;
  e.waiting = undefined;
  w?.resolve(payload);
}

export class ManusEventHub {
  private readonly tasks = new Map<string, Entry>();

  /** Start following a Manus task id. Call `close()` when done. */
  watch(taskId: string): ManusWatch {
    let entry = this.tasks.get(taskId);
    if (!entry) {
      entry = { pending: false, payload: undefined, watchers: 0 };
      this.tasks.set(taskId, entry);
    }
    entry.watchers++;
    const e = entry;
    let closed = false;
    return {
      next: () => {
        if (e.pending) {
          e.pending = false;
          return Promise.resolve(e.payload);
        }
        if (!e.waiting) {
          let resolve!: (payload: unknown) => void;
          const promise = new Promise<unknown>((r) => {
            resolve = r;
          });
          e.waiting = { promise, resolve };
        }
        return e.waiting.promise;
      },
      get lastPayload() {
        return e.payload;
      },
      close: () => {
        if (closed) return;
        closed = true;
        e.watchers--;
        if (e.watchers <= 0) {
          wake(e, undefined);
          this.tasks.delete(taskId);
        }
      },
    };
  }

  /** A webhook arrived for `taskId`. Returns true if a poller in this process follows that task. */
  notify(taskId: string, payload?: unknown): boolean {
    const entry = this.tasks.get(taskId);
    if (!entry) return false;
    entry.payload = payload;
    if (entry.waiting) wake(entry, payload);
    else entry.pending = true;
    return true;
  }

  /** How many task ids are being followed (for metrics and tests). */
  get size(): number {
    return this.tasks.size;
  }
}

/** The process-wide hub the Manus connector and the webhook route share. */
export const manusEvents = new ManusEventHub();

/** The Manus task id a webhook payload is about (`task_detail.task_id`, `progress_detail.task_id` or `task_id`). */
export function manusTaskIdOf(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, Record<string, unknown> | unknown>;
  for (const holder of [p.task_detail, p.progress_detail, p]) {
    const id = holder && typeof holder === 'object' ? (holder as Record<string, unknown>).task_id : undefined;
    if (typeof id === 'string' && id) return id;
  }
  return undefined;
}
