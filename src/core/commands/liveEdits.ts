import type { LiveEvent, LiveFeed } from '../tasks/liveStream.js';
import type { ChatOriginStore } from './ports.js';
import type { TaskView } from './taskView.js';

/** What a platform supplies for editing its reply while the answer streams. */
export interface LiveEditPort<O> {
  /** Least time between two edits of one message (the platform's documented pace). */
  readonly intervalMs: number;
  /** The message's length limit: longer text is cut, and the final result is split as usual. */
  readonly limit: number;
  /** Edits the reply that the final result will replace. */
  edit(taskId: string, origin: O, text: string, view: TaskView): Promise<void>;
  /** The wait a 429 asked for (Retry-After), or undefined for any other error. */
  retryAfterMs(e: unknown): number | undefined;
  /**
   * How long the answer streams (from its first text) before the first edit (default 0). A platform
   * that posts a message of its own for the live text waits, so an answer that arrives at once is
   * simply the result.
   */
  readonly startDelayMs?: number;
  /** The first edit posts the message it then edits: live edits need no progress reply to start. */
  readonly postsOwnMessage?: boolean;
  /** The error means the edit was held back before it was sent (the port's own pacing). */
  unsent?(e: unknown): boolean;
}

/**
 * One pace per key (a chat channel) shared by every live session of this process, first come first
 * served: `take` answers 0 when `holder` may send now, else how long to wait, with the slot after the
 * ones already promised reserved for it (so no session starves); `block` holds the key (a 429's
 * Retry-After) and voids the reservations, which are then taken again after it.
 */
export class PacePerKey {
  private readonly keys = new Map<string, { next: number; reserved: Map<string, number> }>();

  constructor(private readonly intervalMs: number) {}

  take(key: string, holder: string, now = Date.now()): number {
    let k = this.keys.get(key);
    if (!k) {
      if (this.keys.size > 1000) this.sweep(now);
      k = { next: 0, reserved: new Map() };
      this.keys.set(key, k);
    }
    const promised = k.reserved.get(holder);
    if (promised !== undefined && promised > now) return promised - now;
    if (promised === undefined && k.next > now) {
      const slot = k.next;
      k.reserved.set(holder, slot);
      k.next = slot + this.intervalMs;
      return slot - now;
    }
    // Sent now — a free key, or a promised slot that came (perhaps late): every other promise moves
    // to a whole interval after this send, so a late holder cannot land beside the next one.
    k.reserved.delete(holder);
    this.pushFrom(k, now);
    return 0;
  }

  block(key: string, ms: number, now = Date.now()): void {
    const k = this.keys.get(key) ?? { next: 0, reserved: new Map() };
    k.next = Math.max(k.next, now + ms);
    k.reserved.clear();
    this.keys.set(key, k);
  }

  /**
   * A send to `key` finished at `now`: the platform has seen it by then, so the next slot (and every
   * slot already promised) is at least a whole interval later — however long the request took.
   */
  sent(key: string, now = Date.now()): void {
    const k = this.keys.get(key);
    if (k) this.pushFrom(k, now);
  }

  /** Moves every promised slot (and the next free one) to at least a whole interval after `from`. */
  private pushFrom(k: { next: number; reserved: Map<string, number> }, from: number): void {
    let prev = from;
    for (const [holder, slot] of [...k.reserved].sort((a, b) => a[1] - b[1])) {
      prev = Math.max(slot, prev + this.intervalMs);
      k.reserved.set(holder, prev);
    }
    k.next = Math.max(k.next, prev + this.intervalMs);
  }

  private sweep(now: number): void {
    for (const [key, k] of this.keys) if (k.next <= now) this.keys.delete(key);
  }
}

/** Marks text that stopped before the answer was complete. */
export const INCOMPLETE = '[incomplete]';
const CURSOR = ' ▍';

/**
 * Edits one chat reply in place while its task's answer streams: at most once per `intervalMs`
 * (later if a 429 said so), always with the latest text, under the task's delivery lock and only
 * while the final result has not been posted (rank < 3), so an edit never overwrites the result.
 * A cut attempt shows INCOMPLETE until the next attempt's text replaces it.
 */
export class LiveEditSession<O extends { rank?: number }> {
  private text = '';
  private cut = false;
  private dirty = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  /** When this session first had text to show (for startDelayMs). */
  private firstTextAt = 0;
  /** When the last edit was handed to the platform, and what it showed. */
  private sentAt = 0;
  private sentText = '';
  /** Ends a pause early when the session stops. */
  private wake: (() => void) | null = null;
  private editing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly taskId: string,
    private readonly view: TaskView,
    private readonly port: LiveEditPort<O>,
    private readonly deps: { feed: LiveFeed; origins: ChatOriginStore; onEnd: () => void },
  ) {
    const snap = deps.feed.snapshot(taskId);
    if (snap?.attempt && !snap.partial) this.text = snap.text;
    this.unsubscribe = deps.feed.subscribe(taskId, (e) => this.onEvent(e));
    // The stream ended before the progress reply was shown: the result follows; nothing to edit.
    if (snap?.ended && snap.ended !== 'retry') void this.stop();
    else if (this.text) this.changed();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.deps.onEnd();
    return this.editing;
  }

  private onEvent(e: LiveEvent): void {
    if (e.type === 'attempt') {
      this.cut = this.text !== '';
      this.text = '';
    } else if (e.type === 'delta') {
      this.cut = false;
      this.text += e.text;
    } else if (e.status === 'retry') {
      this.cut = this.text !== '';
    } else {
      void this.stop();
      return;
    }
    this.changed();
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.stopped) return;
    if (this.sentAt === 0 && this.port.startDelayMs) {
      // Nothing is shown until the answer has streamed for startDelayMs.
      if (!this.text) return;
      this.firstTextAt ||= Date.now();
      this.nextAt = Math.max(this.nextAt, this.firstTextAt + this.port.startDelayMs);
    }
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.nextAt - Date.now()));
  }

  private flush(): void {
    this.timer = null;
    if (this.stopped || !this.dirty) return;
    this.dirty = false;
    this.nextAt = Date.now() + this.port.intervalMs;
    this.editing = this.editing.then(() => this.edit());
  }

  /**
   * Sends the latest text, never sooner than `intervalMs` after the previous edit was answered (so
   * neither a slow lock or query nor a slow request can bunch two edits together at the platform).
   */
  private async edit(): Promise<void> {
    const wait = this.sentAt + this.port.intervalMs - Date.now();
    if (wait > 0) await this.pause(wait);
    if (this.stopped) return;
    try {
      await this.deps.origins.withLock(this.taskId, async () => {
        const origin = (await this.deps.origins.get(this.taskId)) as O | null;
        const text = this.render();
        if (this.stopped || !origin || (origin.rank ?? 0) >= 3 || text === this.sentText) return;
        const before = this.sentAt;
        this.sentAt = Date.now();
        try {
          await this.port.edit(this.taskId, origin, text, this.view);
          // The pace counts from when the platform answered: a slow request cannot bring the next closer.
          this.sentAt = Date.now();
        } catch (e) {
          if (this.port.unsent?.(e)) this.sentAt = before;
          throw e;
        }
        this.sentText = text;
      });
    } catch (e) {
      // Live edits are best effort (the final result follows regardless); a 429 sets the pace.
      const wait = this.port.retryAfterMs(e);
      if (wait === undefined || this.stopped) return;
      // Held back before sending (the key's pace): come back exactly when the promised slot comes.
      this.nextAt = this.port.unsent?.(e) ? Date.now() + wait : Math.max(this.nextAt, Date.now() + wait);
      this.dirty = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), this.nextAt - Date.now());
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private render(): string {
    const tail = this.cut ? `\n\n${INCOMPLETE}` : CURSOR;
    const full = `${this.view.headline}\n\n${this.text}`;
    const room = this.port.limit - tail.length - 1;
    return full.length > room ? `${full.slice(0, room)}…${tail}` : `${full}${tail}`;
  }
}
