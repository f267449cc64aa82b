import type { Job, JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { deliverResult, type ResultDelivererRegistry } from '../core/tasks/deliverers.js';
import type { DeliverResultJob, TaskStore } from '../core/tasks/ports.js';
import type { TaskRunner } from '../core/tasks/taskRunner.js';
import { type Logger, withLogContext } from '../logger.js';
import { QUEUES, tunedWorkOptions } from './boss.js';
import type { GenerateJobData } from './taskJobs.js';

export interface TaskWorkers {
  /** Stops fetching, lets in-flight tasks finish for `graceMs`, then releases the rest back to the queue. */
  stop(): Promise<void>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** pg-boss keeps a failure's output; ours is `{message}`, its own (heartbeat, expiry) `{value: {message}}`. */
function reasonOf(output: unknown): string | undefined {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null | undefined;
  const m = o?.message ?? o?.value?.message;
  return typeof m === 'string' ? m : undefined;
}

/**
 * The worker role's queue consumers, on the tuned pg-boss settings (batches, bursts, per-job
 * results, LISTEN/NOTIFY wake-up):
 * - `generate`: runs tasks (core/tasks/taskRunner.ts); heartbeats keep the lease while a provider
 *   call runs, so a killed worker's task is re-run elsewhere once its heartbeat goes stale;
 * - `generate-dead`: a job that exhausted its retries without its task being marked failed (the
 *   worker died on the last attempt) — the task is marked failed with a readable error;
 * - `deliver-result`: hands task events to the deliverer registered for the task's source.
 */
export async function startTaskWorkers(deps: {
  boss: PgBoss;
  runner: TaskRunner;
  store: TaskStore;
  deliverers: ResultDelivererRegistry;
  logger: Logger;
  /** Aborted at shutdown once the grace period is over: running provider calls stop and their jobs are released. */
  shutdown: AbortController;
  /** Tasks in flight per process. */
  concurrency: number;
  graceMs?: number;
  /** A result delivery failed and will be retried (metrics). */
  onDeliveryRetry?: () => void;
}): Promise<TaskWorkers> {
  const { boss, runner, logger } = deps;
  const log = logger.child({ scope: 'worker' });
  // At least two fetch loops, each claiming a batch of up to half the concurrency (at most 8): one
  // loop's batch runs while another fetches, and a slow task holds back at most one batch's slots.
  const batchSize = Math.max(2, Math.min(tunedWorkOptions.batchSize, Math.ceil(deps.concurrency / 2)));
  const localConcurrency = Math.max(1, Math.ceil(deps.concurrency / batchSize));

  await boss.work(
    QUEUES.generate,
    {
      ...tunedWorkOptions,
      batchSize,
      localConcurrency,
      includeMetadata: true,
      // Retries (after a failure or a lost worker) become due without a NOTIFY: poll for them often.
      notifyPollingIntervalSeconds: 2,
    },
    async (jobs: JobWithMetadata<GenerateJobData>[]): Promise<JobResult[]> => {
      const runnable = jobs.filter((job) => typeof job.data?.taskId === 'string');
      // The batch's tasks are marked running together, then run concurrently.
      const settled = await runner.runBatch(
        runnable.map((job) => ({
          jobId: job.id,
          taskId: job.data.taskId,
          attempt: job.retryCount + 1,
          maxAttempts: job.retryLimit + 1,
          signal: job.signal,
        })),
      );
      const results = new Map(runnable.map((job, i) => [job, settled[i]!]));
      return jobs.map((job): JobResult => {
        const r = results.get(job);
        if (!r)
          return { id: job.id, status: 'deadletter', output: { message: 'generate job without a taskId' } };
        if (r.status === 'rejected') {
          log.error('Task run failed unexpectedly; the job will be retried', {
            taskId: job.data.taskId,
            jobId: job.id,
            err: message(r.reason),
          });
          return { id: job.id, status: 'failed', output: { message: message(r.reason) } };
        }
        const v = r.value;
        if (v.status === 'completed')
          return { id: job.id, status: 'completed', output: { outcome: v.outcome } };
        return {
          id: job.id,
          status: v.status === 'retry' ? 'failed' : 'deadletter',
          output: { message: v.error },
        };
      });
    },
  );

  await boss.work(
    QUEUES.generateDead,
    { ...tunedWorkOptions, includeMetadata: true },
    async (jobs: JobWithMetadata<GenerateJobData>[]) =>
      Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          try {
            if (typeof job.data?.taskId === 'string') {
              await runner.reconcileDeadJob(
                job.data.taskId,
                reasonOf(job.sourceOutput),
                job.sourceRetryCount,
              );
            }
            return { id: job.id, status: 'completed', output: { reconciled: true } };
          } catch (e) {
            log.error('Could not reconcile a dead-lettered task', { jobId: job.id, err: message(e) });
            return { id: job.id, status: 'failed', output: { message: message(e) } };
          }
        }),
      ),
  );

  await boss.work(QUEUES.deliverResult, { ...tunedWorkOptions }, async (jobs: Job<DeliverResultJob>[]) =>
    Promise.all(
      jobs.map(async (job): Promise<JobResult> => {
        try {
          await withLogContext({ taskId: job.data?.taskId }, () => deliverResult(deps, job.data));
          return { id: job.id, status: 'completed' };
        } catch (e) {
          deps.onDeliveryRetry?.();
          log.warn('Result delivery failed; it will be retried', {
            taskId: job.data?.taskId,
            kind: job.data?.kind,
            err: message(e),
          });
          return { id: job.id, status: 'failed', output: { message: message(e) } };
        }
      }),
    ),
  );

  return {
    async stop() {
      const drained = Promise.allSettled(
        [QUEUES.generate, QUEUES.generateDead, QUEUES.deliverResult].map((q) =>
          boss.offWork(q, { wait: true }),
        ),
      );
      const timer = setTimeout(() => deps.shutdown.abort(), deps.graceMs ?? 10_000);
      await drained;
      clearTimeout(timer);
      deps.shutdown.abort();
    },
  };
}
