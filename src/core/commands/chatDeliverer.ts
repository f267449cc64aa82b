import type { Log } from '../log.js';
import type { LiveFeed } from '../tasks/liveStream.js';
import type { ResultDeliverer, TaskEvent, TaskSource } from '../tasks/types.js';
import type { ChatPlatform } from './help.js';
import { type LiveEditPort, LiveEditSession } from './liveEdits.js';
import type { ChatOriginStore } from './ports.js';
import { EVENT_RANK, type TaskView, viewTaskEvent } from './taskView.js';

/** What every chat origin stores besides the platform's own fields: how far delivery got. */
export type DeliveredOrigin = {
  platform: string;
  rank?: number;
  [sent: `sent_${string}`]: number | undefined;
};

/**
 * What one chat platform supplies to the shared deliverer: how to show progress, how a final view
 * becomes messages, how one message is posted, and which errors a retry cannot fix.
 */
export interface ChatPlatformPort<O extends DeliveredOrigin, M> {
  readonly platform: ChatPlatform & TaskSource;
  /** The platform's name in logs ("Slack"). */
  readonly label: string;
  /** Shows a progress view (best effort, never throws). Answers whether the rank should be recorded. */
  progress(taskId: string, origin: O, view: TaskView, rank: number): Promise<boolean>;
  /** The final view as the platform's messages (split at its length limit). */
  messages(view: TaskView): M[];
  /** Posts message `index` of `count`; the first may replace the command's reply. Throws to retry. */
  post(taskId: string, origin: O, message: M, index: number, count: number): Promise<void>;
  /** An error a retry would meet again (blocked bot, chat gone): logged, and delivery ends. */
  isPermanent?(e: unknown): boolean;
  /** Editing the reply in place while the answer streams, where the platform can. */
  live?: LiveEditPort<O>;
}

/**
 * The one resumable chat deliverer: for each task event it takes the task's delivery lock, loads
 * the origin, and either shows progress (never over a later state, EVENT_RANK) or posts the final
 * messages, remembering each part sent (`sent_<kind>`) so that a retried job resumes where it
 * stopped and posts nothing twice. Platforms plug in through a ChatPlatformPort.
 */
export class ChatDeliverer<O extends DeliveredOrigin, M> implements ResultDeliverer {
  readonly source: TaskSource;
  /** Live edit sessions of this process, by task. */
  private readonly sessions = new Map<string, LiveEditSession<O>>();

  constructor(
    private readonly port: ChatPlatformPort<O, M>,
    private readonly deps: {
      origins: ChatOriginStore;
      publicUrl: () => string;
      logger: Log;
      /** Live output of running tasks; without it replies change only at progress and result. */
      live?: LiveFeed;
    },
  ) {
    this.source = port.platform;
  }

  async deliver(event: TaskEvent): Promise<void> {
    const taskId = event.task.id;
    // A final delivery first stops this process's live edits, so none can land after the result.
    if (event.kind !== 'queued' && event.kind !== 'running') await this.sessions.get(taskId)?.stop();
    const view = await this.deliverLocked(event);
    if (event.kind === 'running' && view) this.startLive(taskId, view);
  }

  private startLive(taskId: string, view: TaskView): void {
    const { live: port } = this.port;
    if (!port || !this.deps.live || this.sessions.has(taskId)) return;
    const session = new LiveEditSession<O>(taskId, view, port, {
      feed: this.deps.live,
      origins: this.deps.origins,
      onEnd: () => this.sessions.delete(taskId),
    });
    this.sessions.set(taskId, session);
  }

  /** Answers the progress view when the reply showed it, or live edits post their own message (live edits may follow); else null. */
  private deliverLocked(event: TaskEvent): Promise<TaskView | null> {
    const taskId = event.task.id;
    return this.deps.origins.withLock(taskId, async () => {
      const origin = (await this.deps.origins.get(taskId)) as O | null;
      if (origin?.platform !== this.port.platform) return null;
      const view = viewTaskEvent(event, this.deps.publicUrl());
      const rank = EVENT_RANK[event.kind];
      if (!view.final) {
        if ((origin.rank ?? 0) >= rank) return null;
        if (!(await this.port.progress(taskId, origin, view, rank)))
          return this.port.live?.postsOwnMessage ? view : null;
        await this.deps.origins.patch(taskId, { rank });
        return view;
      }
      try {
        await this.sendFinal(taskId, origin, view, rank);
      } catch (e) {
        if (!this.port.isPermanent?.(e)) throw e;
        this.deps.logger.warn(`${this.port.label} refused the result message`, {
          taskId,
          err: (e as Error).message,
        });
      }
      return null;
    });
  }

  private async sendFinal(taskId: string, origin: O, view: TaskView, rank: number): Promise<void> {
    const messages = this.port.messages(view);
    const key = `sent_${view.kind}` as const;
    for (let i = origin[key] ?? 0; i < messages.length; i++) {
      await this.port.post(taskId, origin, messages[i]!, i, messages.length);
      await this.deps.origins.patch(taskId, { [key]: i + 1, rank });
    }
  }
}
