import type { Response } from 'express';
import { AppError } from '../../core/errors.js';
import { type LiveEvent, type LiveFeed, liveEventId, parseLiveEventId } from '../../core/tasks/liveStream.js';
import type { TaskService } from '../../core/tasks/taskService.js';
import { type TaskRecord, TERMINAL_STATUSES } from '../../core/tasks/types.js';
import type { ApiDeps } from '../deps.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

export interface TaskEventRouteDeps {
  tasks: TaskService;
  live: LiveFeed;
  /** The current text of a content item (a completed task's answer). */
  contentText(contentId: string): Promise<string | null>;
  /** How often the task's status is read again, in case an end notice was missed. */
  pollMs?: number;
}

const HEARTBEAT_MS = 15_000;

/** `GET /api/tasks/:id/events`: a task's live output as server-sent events (API.md § Streaming). */
export function taskEventRoutes(deps: ApiDeps, t: TaskEventRouteDeps) {
  const r = createRouteBuilder(deps.openapi, '/api');
  r.get(
    '/tasks/:id/events',
    {
      operationId: 'streamTaskEvents',
      summary: 'A task’s live output (server-sent events)',
      description:
        'Events: `status` {status}, `attempt` {attempt, provider} (a new provider call: drop the text so far), `delta` {text}, `done` {contentId}, `error` {code, message}. A late subscriber first gets the text so far as one `delta`; after completion the whole text and `done` at once. Resume with `Last-Event-ID`.',
      tags: ['Tasks'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    },
    async (ctx) => {
      const rawId = ctx.req.get('last-event-id');
      const resume = parseLiveEventId(rawId);
      if (rawId !== undefined && rawId.trim() !== '' && !resume)
        throw new AppError('validation_failed', 'Invalid Last-Event-ID header', {
          details: [
            { field: 'headers.last-event-id', message: '<attempt>:<offset>', code: 'invalid_format' },
          ],
        });
      const actor = actorOf(ctx);
      const task = await t.tasks.get(ctx.params.id, actor);
      if (!task) throw new AppError('not_found', 'Task not found');
      await new TaskEventStream(ctx.res, task, t, resume).run(() => t.tasks.get(task.id, actor));
    },
  );
  return r.router;
}

/** One subscriber's stream: what it has been sent (attempt, offset) so that nothing repeats. */
class TaskEventStream {
  private attempt: string | null;
  private sent: number;
  private closed = false;
  private finishing: Promise<void> | null = null;
  private lastStatus: string | null = null;

  constructor(
    private readonly res: Response,
    private readonly task: TaskRecord,
    private readonly t: TaskEventRouteDeps,
    resume: { attempt: string; offset: number } | null,
  ) {
    this.attempt = resume?.attempt ?? null;
    this.sent = resume?.offset ?? 0;
  }

  async run(reload: () => Promise<TaskRecord | null>): Promise<void> {
    const { res } = this;
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const queued: LiveEvent[] = [];
    let ready = false;
    const unsubscribe = this.t.live.subscribe(this.task.id, (e) => {
      if (ready) this.onLive(e, reload);
      else queued.push(e);
    });
    const done = new Promise<void>((resolve) => res.on('close', resolve));
    res.on('close', () => {
      this.closed = true;
      unsubscribe();
    });
    this.status(this.task.status);
    if (TERMINAL_STATUSES.includes(this.task.status)) {
      await this.finish(this.task);
      return;
    }
    this.catchUp();
    ready = true;
    for (const e of queued) this.onLive(e, reload);
    const timer = setInterval(async () => {
      res.write(': keep-alive\n\n');
      const now = await reload().catch(() => null);
      if (now && TERMINAL_STATUSES.includes(now.status)) void this.end(now);
    }, this.t.pollMs ?? HEARTBEAT_MS);
    await done;
    clearInterval(timer);
  }

  /** Everything generated so far, as one delta (or only what a resumed client lacks). */
  private catchUp(): void {
    const snap = this.t.live.snapshot(this.task.id);
    if (!snap?.attempt || snap.ended) return;
    if (snap.attempt !== this.attempt) this.startAttempt(snap.attempt, snap.provider ?? '');
    // A process that began listening mid-attempt lacks the start: the rest comes live, the whole at the end.
    if (!snap.partial) this.sendText(snap.text, 0);
  }

  private onLive(e: LiveEvent, reload: () => Promise<TaskRecord | null>): void {
    if (this.closed) return;
    if (e.type === 'attempt') {
      this.startAttempt(e.attempt, e.provider);
    } else if (e.type === 'delta') {
      if (e.attempt !== this.attempt) this.startAttempt(e.attempt, '');
      this.sendText(e.text, e.offset);
    } else if (e.status === 'retry') {
      this.status('queued');
    } else {
      void reload().then((now) => now && this.end(now));
    }
  }

  private startAttempt(attempt: string, provider: string): void {
    this.attempt = attempt;
    this.sent = 0;
    this.lastStatus = null;
    this.event('attempt', { attempt, provider });
  }

  /** Sends the part of `text` (which starts at `offset`) past what was already sent. */
  private sendText(text: string, offset: number): void {
    const end = offset + text.length;
    if (end <= this.sent || offset > this.sent) return;
    const fresh = text.slice(this.sent - offset);
    this.sent = end;
    this.event('delta', { text: fresh }, liveEventId(this.attempt ?? '0.0', this.sent));
  }

  private end(task: TaskRecord): Promise<void> {
    this.finishing ??= this.finish(task).finally(() => this.res.end());
    return this.finishing;
  }

  /** A finished task: the rest of its stored text and `done`, or its error; then the stream ends. */
  private async finish(task: TaskRecord): Promise<void> {
    if (task.status === 'completed' && task.contentId) {
      const text = (await this.t.contentText(task.contentId)) ?? '';
      const snap = this.t.live.snapshot(task.id);
      const continues =
        this.attempt !== null && snap?.attempt === this.attempt && !snap.partial && this.sent <= text.length;
      if (!continues) {
        if (this.attempt !== null) this.startAttempt(snap?.attempt ?? this.attempt, snap?.provider ?? '');
        this.sent = 0;
      }
      if (text.length > this.sent) this.sendText(text.slice(this.sent), this.sent);
      this.status('completed');
      this.event('done', { contentId: task.contentId });
    } else {
      this.status(task.status);
      this.event('error', {
        code: task.status === 'cancelled' ? 'task_cancelled' : 'task_failed',
        message: task.error ?? `The task was ${task.status}`,
      });
    }
    this.res.end();
  }

  /** A status event, unless it repeats the last one sent (a finished task's replay says it once). */
  private status(status: string): void {
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this.event('status', { status });
  }

  private event(name: string, data: unknown, id?: string): void {
    if (this.closed) return;
    this.res.write(`${id ? `id: ${id}\n` : ''}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
