import { createHash } from 'node:crypto';
import type { JobResult, PgBoss } from 'pg-boss';
import type { CallbackJob, CallbackService } from '../core/webhooks/callbackService.js';
import { type Logger, withLogContext } from '../logger.js';
import { QUEUES, tunedWorkOptions } from './boss.js';

const EVENTS = new Set(['task.completed', 'task.failed', 'task.cancelled']);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The id of attempt `n` of one callback: a retry scheduled twice is still one job. */
function attemptJobId(job: CallbackJob, attempt: number): string {
  const h = createHash('sha256')
    .update(`deliver-webhook:${job.taskId}:${job.event}:${attempt}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The `deliver-webhook` consumer: one signed callback attempt per job (core/webhooks/callbackService.ts).
 * The backoff is ours, not pg-boss's, so it is explicit and configurable: a failed attempt is
 * recorded, and attempt n+1 is sent as a new job starting `retryInSeconds` later (doubling from
 * WEBHOOK_RETRY_DELAY_SECONDS, capped). pg-boss's own retries remain only as a backstop for a crash
 * or a database error mid-attempt. A refused URL (SSRF guard) is final.
 */
export async function startDeliverWebhookWorker(deps: {
  boss: PgBoss;
  callbacks: CallbackService;
  logger: Logger;
  /** A failed attempt that will be retried (metrics). */
  onRetry?: () => void;
}): Promise<{ stop(): Promise<void> }> {
  const { boss, callbacks } = deps;
  const log = deps.logger.child({ scope: 'deliver-webhook' });
  await boss.work<CallbackJob>(
    QUEUES.deliverWebhook,
    { ...tunedWorkOptions, batchSize: 4, notifyPollingIntervalSeconds: 2 },
    async (jobs) =>
      Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          const data = job.data;
          if (!data || typeof data.taskId !== 'string' || !EVENTS.has(data.event)) {
            return {
              id: job.id,
              status: 'deadletter',
              output: { message: 'deliver-webhook job without a taskId or event' },
            };
          }
          try {
            const out = await withLogContext({ taskId: data.taskId }, () => callbacks.attempt(data));
            if (out.status === 'failed' && out.retryInSeconds !== null) {
              const next = (data.attempt ?? 1) + 1;
              await boss.send(QUEUES.deliverWebhook, { ...data, attempt: next } satisfies CallbackJob, {
                id: attemptJobId(data, next),
                startAfter: out.retryInSeconds,
              });
              deps.onRetry?.();
              log.info('Callback failed; retrying later', {
                taskId: data.taskId,
                event: data.event,
                attempt: data.attempt ?? 1,
                retryInSeconds: out.retryInSeconds,
                error: out.delivery.error,
              });
            } else if (out.status === 'failed') {
              log.warn('Callback failed on its last attempt; giving up', {
                taskId: data.taskId,
                event: data.event,
                attempt: data.attempt ?? 1,
                error: out.delivery.error,
              });
            } else if (out.status === 'skipped') {
              log.debug('Callback skipped', { taskId: data.taskId, event: data.event, reason: out.reason });
            }
            return { id: job.id, status: 'completed', output: { outcome: out.status } };
          } catch (e) {
            log.error('Callback attempt failed unexpectedly; the job will be retried', {
              taskId: data.taskId,
              err: message(e),
            });
            return { id: job.id, status: 'failed', output: { message: message(e) } };
          }
        }),
      ),
  );
  return {
    async stop() {
      await boss.offWork(QUEUES.deliverWebhook, { wait: true });
    },
  };
}
