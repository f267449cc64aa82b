import { createHash } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import type { Log } from '../log.js';
import type { TaskRecord } from '../tasks/types.js';
import { buildCallbackBody } from './callbackPayload.js';
import { deriveCallbackSecret } from './callbackSecret.js';
import type { HookService } from './hookService.js';
import { type PostOptions, type PostResult, postJson } from './httpPost.js';
import type { CallbackEvent, CallbackTaskSource, DeliveryRecord, WebhookStore } from './ports.js';
import { signPayload } from './signature.js';
import { OutboundRefusedError } from './ssrf.js';

export interface CallbackJob {
  taskId: string;
  event: CallbackEvent;
  /** 1 for the first try; set on the follow-up jobs this service schedules. */
  attempt?: number;
}

export interface CallbackOptions {
  /** ENCRYPTION_KEY: the per-user callback secrets (tasks without a hook) are derived from it. */
  masterKey: Buffer;
  allowPrivate: boolean;
  timeoutMs: number;
  /** First retry delay; it doubles each attempt up to maxDelaySeconds. */
  retryDelaySeconds: number;
  maxDelaySeconds: number;
  /** Total attempts, the first included. */
  maxAttempts: number;
  now?: Clock;
  /** The HTTP client (tests may inject one; production uses postJson). */
  post?: (
    url: string,
    body: string,
    headers: Record<string, string>,
    opts: PostOptions,
  ) => Promise<PostResult>;
}

export type AttemptOutcome =
  | { status: 'succeeded'; delivery: DeliveryRecord }
  | { status: 'failed'; delivery: DeliveryRecord; retryInSeconds: number | null }
  | { status: 'refused'; delivery: DeliveryRecord }
  | { status: 'skipped'; reason: string };

/** A stable id for one callback (task, event), sent as X-Switchyard-Delivery on every attempt. */
export function callbackDeliveryId(taskId: string, event: string): string {
  const h = createHash('sha256').update(`${taskId}:${event}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Outbound signed callbacks: a task's terminal state POSTed to its callbackUrl (or its hook's),
 * signed with X-Switchyard-Signature using the hook's secret — or, for tasks without a hook, the
 * task owner's derived callback secret. Every attempt is recorded; refusals by the SSRF guard are
 * final, other failures are retried with exponential backoff by the caller (the deliver-webhook
 * worker schedules the next attempt after `retryInSeconds`).
 */
export class CallbackService {
  constructor(
    private readonly tasks: CallbackTaskSource,
    private readonly store: WebhookStore,
    private readonly hooks: HookService,
    private readonly logger: Log,
    private readonly opts: CallbackOptions,
  ) {}

  /** Delay before attempt `attempt + 1`, or null when `attempt` was the last. */
  retryDelay(attempt: number): number | null {
    if (attempt >= this.opts.maxAttempts) return null;
    return Math.min(this.opts.maxDelaySeconds, this.opts.retryDelaySeconds * 2 ** (attempt - 1));
  }

  /** The secret a task's callbacks are signed with. */
  async secretFor(
    task: TaskRecord,
  ): Promise<{ secret: string; webhookId: string | null; hookCallbackUrl: string | null } | null> {
    // A hook's task whose hook was deleted (webhook_id set null): nobody can verify its callbacks.
    if (task.source === 'webhook' && !task.webhookId) return null;
    if (task.webhookId) {
      const hook = await this.store.getHook(task.webhookId);
      if (!hook) return null; // the hook was deleted: nobody can verify a callback any more
      return {
        secret: this.hooks.currentSecret(hook),
        webhookId: hook.id,
        hookCallbackUrl: hook.callbackUrl,
      };
    }
    return {
      secret: deriveCallbackSecret(this.opts.masterKey, task.userId),
      webhookId: null,
      hookCallbackUrl: null,
    };
  }

  async attempt(job: CallbackJob): Promise<AttemptOutcome> {
    const attempt = job.attempt ?? 1;
    const task = await this.tasks.get(job.taskId);
    if (!task) return { status: 'skipped', reason: 'task not found' };
    const signing = await this.secretFor(task);
    if (!signing) return { status: 'skipped', reason: 'the hook was deleted' };
    const url = task.callbackUrl ?? signing.hookCallbackUrl;
    if (!url) return { status: 'skipped', reason: 'no callback URL' };

    const content = job.event === 'task.completed' ? await this.tasks.contentOf(task) : null;
    const body = JSON.stringify(buildCallbackBody(job.event, task, content));
    const headers = {
      'x-switchyard-signature': signPayload(signing.secret, body, (this.opts.now ?? systemClock)().getTime()),
      'x-switchyard-event': job.event,
      'x-switchyard-delivery': callbackDeliveryId(task.id, job.event),
      'x-switchyard-attempt': String(attempt),
    };
    const record = (r: {
      status: 'succeeded' | 'failed' | 'refused';
      responseStatus?: number | null;
      error?: string | null;
      durationMs?: number | null;
    }) =>
      this.store.recordDelivery({
        webhookId: signing.webhookId,
        taskId: task.id,
        url,
        event: job.event,
        attempt,
        status: r.status,
        responseStatus: r.responseStatus ?? null,
        error: r.error ?? null,
        durationMs: r.durationMs ?? null,
      });

    const started = performance.now();
    let res: PostResult;
    try {
      res = await (this.opts.post ?? postJson)(url, body, headers, {
        timeoutMs: this.opts.timeoutMs,
        allowPrivate: this.opts.allowPrivate,
      });
    } catch (e) {
      const durationMs = Math.round(performance.now() - started);
      if (e instanceof OutboundRefusedError) {
        this.logger.warn('Callback refused by the outbound guard', {
          taskId: task.id,
          event: job.event,
        });
        // Which address class the host resolved to is for the operator's debug log only.
        this.logger.debug('Outbound guard refusal reason', { taskId: task.id, reason: e.reason });
        return {
          status: 'refused',
          delivery: await record({ status: 'refused', error: e.message, durationMs }),
        };
      }
      const message = (e as Error).message || String(e);
      const delivery = await record({ status: 'failed', error: message.slice(0, 500), durationMs });
      return { status: 'failed', delivery, retryInSeconds: this.retryDelay(attempt) };
    }
    if (res.status >= 200 && res.status < 300) {
      return {
        status: 'succeeded',
        delivery: await record({
          status: 'succeeded',
          responseStatus: res.status,
          durationMs: res.durationMs,
        }),
      };
    }
    const error =
      res.status >= 300 && res.status < 400 ? `Redirect (${res.status}) not followed` : `HTTP ${res.status}`;
    const delivery = await record({
      status: 'failed',
      responseStatus: res.status,
      error,
      durationMs: res.durationMs,
    });
    return { status: 'failed', delivery, retryInSeconds: this.retryDelay(attempt) };
  }
}
