import { type Clock, systemClock } from '../clock.js';
import { ProviderRejected } from '../errors.js';
import type { Log } from '../log.js';
import { enqueueTerminalJobs, hasTerminalJobs, type ResultDelivererRegistry } from './deliverers.js';
import type { ExecutionOutcome, TaskExecutor } from './executor.js';
import type { LivePublisher, LiveWriter } from './liveStream.js';
import type { CancelSignals, TaskJobs, TaskStore } from './ports.js';
import { type TaskRecord, TERMINAL_STATUSES } from './types.js';

/** Metric and log hooks (src/metrics/, src/logger.ts); never needed for correctness. */
export interface TaskRunHooks {
  /** Runs one job, so everything it logs carries the task's and the job's ids. */
  scope?<T>(ids: { taskId: string; jobId: string }, fn: () => Promise<T>): Promise<T>;
  /** The task's first run started (queued → running). */
  started?(task: TaskRecord): void;
  /** The task ended in this run. */
  finished?(task: TaskRecord, status: 'completed' | 'failed'): void;
}

/** One claimed run of a `generate` job. */
export interface GenerateRun {
  jobId: string;
  taskId: string;
  /** 1-based: pg-boss retryCount + 1. */
  attempt: number;
  /** retryLimit + 1. */
  maxAttempts: number;
  /** pg-boss's signal for this job: fires when the claim is lost (lease expired, job cancelled). */
  signal: AbortSignal;
}

/**
 * What the queue should do with the job: `completed` (done, whatever the task's outcome), `retry`
 * (fail this run; the queue retries it with backoff) or `deadletter` (give up: the task is already
 * marked failed and the job goes to the dead-letter queue).
 */
export type RunVerdict =
  | { status: 'completed'; outcome: 'completed' | 'cancelled' | 'skipped' }
  | { status: 'retry'; error: string }
  | { status: 'deadletter'; error: string };

/**
 * The worker's use case for one `generate` job: queued → running → (execute) → completed with its
 * content, or a retry, or failed. Everything here is safe to run twice for the same task (a crashed
 * worker's job is re-run after its lease expires): the store only completes a task that is still
 * running, once, and each attempt's tokens are settled once.
 */
export class TaskRunner {
  constructor(
    private readonly deps: {
      store: TaskStore;
      jobs: TaskJobs;
      executor: TaskExecutor;
      cancels: CancelSignals;
      deliverers: ResultDelivererRegistry;
      log: Log;
      /** Fires when this worker is shutting down and must release its jobs. */
      shutdown: AbortSignal;
      hooks?: TaskRunHooks;
      /**
       * Settles the task's spend-budget reservations with its real cost (exactly once, idempotent).
       * A failure here is logged: the budget job settles ended tasks it finds unsettled.
       */
      settleSpend?: (taskId: string) => Promise<void>;
      /** Live results (SSE, chat edits): the answer's pieces as the provider streams them. */
      live?: LivePublisher;
      /** Stamps the content's provenance (generatedAt). */
      now?: Clock;
    },
  ) {}

  private async settleSpend(taskId: string): Promise<void> {
    if (!this.deps.settleSpend) return;
    try {
      await this.deps.settleSpend(taskId);
    } catch (e) {
      this.deps.log.warn('Could not settle the task’s budgets; the budget job will', {
        taskId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /**
   * Runs the jobs the queue handed over together: their tasks are marked running in one statement,
   * then the jobs run concurrently, sharing what the executor reads once per batch. One result per
   * job, in order; a job whose run threw unexpectedly gets a rejected result.
   */
  async runBatch(jobs: readonly GenerateRun[]): Promise<PromiseSettledResult<RunVerdict>[]> {
    // A task claimed twice in one batch (never expected) runs its extra jobs on their own.
    const taken = new Set<string>();
    const together = jobs.filter((j) => !taken.has(j.taskId) && Boolean(taken.add(j.taskId)));
    let started: Awaited<ReturnType<TaskStore['markRunning']>>;
    try {
      started = await this.deps.store.markRunning(
        together.map((j) => ({ taskId: j.taskId, jobId: j.jobId })),
      );
    } catch (e) {
      return jobs.map(() => ({ status: 'rejected', reason: e }));
    }
    const batch = {};
    return Promise.allSettled(
      jobs.map((job) =>
        this.scoped(job, () =>
          together.includes(job) ? this.execute(job, started.get(job.taskId), batch) : this.run(job),
        ),
      ),
    );
  }

  /** Runs one claimed job. */
  async run(job: GenerateRun): Promise<RunVerdict> {
    const started = await this.deps.store.markRunning([{ taskId: job.taskId, jobId: job.jobId }]);
    return this.execute(job, started.get(job.taskId));
  }

  private scoped<T>(job: GenerateRun, fn: () => Promise<T>): Promise<T> {
    const scope = this.deps.hooks?.scope;
    return scope ? scope({ taskId: job.taskId, jobId: job.jobId }, fn) : fn();
  }

  private async execute(
    job: GenerateRun,
    started: { task: TaskRecord; firstStart: boolean } | undefined,
    batch?: object,
  ): Promise<RunVerdict> {
    if (!started) return { status: 'completed', outcome: 'skipped' };
    const { task, firstStart } = started;
    if (firstStart) this.deps.hooks?.started?.(task);

    const live = this.deps.live?.open(task.id, job.attempt);
    const verdict = await this.run1(job, task, firstStart, live, batch);
    await live?.end(liveEnd(verdict));
    return verdict;
  }

  private async run1(
    job: GenerateRun,
    task: TaskRecord,
    firstStart: boolean,
    live: LiveWriter | undefined,
    batch?: object,
  ): Promise<RunVerdict> {
    const { store, log } = this.deps;
    const watch = this.deps.cancels.watch(task.id);
    const signal = AbortSignal.any([job.signal, watch.signal, this.deps.shutdown]);
    let announced = false;
    try {
      const outcome = await this.deps.executor.execute(task, {
        signal,
        jobId: job.jobId,
        attempt: job.attempt,
        ...(batch ? { batch } : {}),
        onRunning: (providerName) => {
          if (announced || !firstStart) return;
          announced = true;
          void this.announceRunning(task, providerName);
        },
        ...(live
          ? {
              onDelta: (t: string) => live.delta(t),
              onAttempt: (a) => live.attempt(a.number, a.providerName),
            }
          : {}),
      });
      const done = await store.complete(
        task.id,
        {
          title: outcome.title?.trim() || task.title,
          text: outcome.text,
          metadata: provenance(task, outcome, job, (this.deps.now ?? systemClock)()),
        },
        hasTerminalJobs(this.deps.deliverers, task, 'completed')
          ? (t, tx) => enqueueTerminalJobs(this.deps, t, 'completed', tx)
          : undefined,
      );
      if (!done) {
        log.info('Task finished elsewhere while it ran (cancelled?); its result was not stored', {
          taskId: task.id,
        });
        return { status: 'completed', outcome: 'cancelled' };
      }
      this.deps.hooks?.finished?.(task, 'completed');
      await this.settleSpend(task.id);
      log.debug('Task completed', {
        taskId: task.id,
        contentId: done.content.id,
        provider: outcome.providerName,
        attempt: job.attempt,
      });
      return { status: 'completed', outcome: 'completed' };
    } catch (e) {
      return await this.onError(task, job, e, watch.signal);
    } finally {
      watch.release();
    }
  }

  private async onError(
    task: TaskRecord,
    job: GenerateRun,
    e: unknown,
    cancelled: AbortSignal,
  ): Promise<RunVerdict> {
    const { store, log } = this.deps;
    const message = readable(e);
    if (cancelled.aborted) return { status: 'completed', outcome: 'cancelled' };
    const now = await store.get(task.id);
    if (!now || TERMINAL_STATUSES.includes(now.status)) return { status: 'completed', outcome: 'cancelled' };
    if (job.signal.aborted) {
      // The queue took the job back (lease expired, or it was cancelled): whoever runs it next owns the task.
      log.warn('Lost the claim on a running task; leaving it to the next run', {
        taskId: task.id,
        jobId: job.jobId,
      });
      return { status: 'retry', error: 'the worker lost its claim on the job' };
    }
    if (this.deps.shutdown.aborted) {
      await store.requeue(task.id);
      log.info('Released a running task at shutdown; it will be re-run', { taskId: task.id });
      return { status: 'retry', error: 'the worker shut down while the task ran' };
    }
    if (e instanceof ProviderRejected) {
      await this.failTask(task, message);
      return { status: 'deadletter', error: message };
    }
    if (job.attempt < job.maxAttempts) {
      await store.requeue(task.id);
      log.warn('Task attempt failed; it will be retried', {
        taskId: task.id,
        attempt: job.attempt,
        of: job.maxAttempts,
        err: message,
      });
      return { status: 'retry', error: message };
    }
    const error = `Gave up after ${job.attempt} attempt${job.attempt === 1 ? '' : 's'}: ${message}`;
    await this.failTask(task, error);
    return { status: 'deadletter', error };
  }

  /**
   * A job that reached the dead-letter queue without its handler marking the task failed (the
   * worker running its last attempt died): mark the task failed now. Nothing happens for a task
   * that already ended.
   */
  async reconcileDeadJob(taskId: string, reason: string | undefined, attempts: number | null): Promise<void> {
    const task = await this.deps.store.get(taskId);
    if (!task || TERMINAL_STATUSES.includes(task.status)) return;
    const why =
      reason === 'job heartbeat timeout' || reason === 'job timed out'
        ? 'the worker running it stopped responding'
        : (reason ?? 'unknown error');
    const n = attempts === null ? task.attempts : attempts + 1;
    await this.failTask(task, `Gave up after ${n} attempt${n === 1 ? '' : 's'}: ${why}`);
  }

  private async failTask(task: TaskRecord, error: string): Promise<void> {
    const failed = await this.deps.store.fail(task.id, error, (t, tx) =>
      enqueueTerminalJobs(this.deps, t, 'failed', tx),
    );
    if (!failed) return;
    this.deps.hooks?.finished?.(task, 'failed');
    await this.settleSpend(task.id);
    this.deps.log.warn('Task failed', { taskId: task.id, error });
  }

  private async announceRunning(task: TaskRecord, providerName: string): Promise<void> {
    if (!this.deps.deliverers.has(task.source)) return;
    try {
      await this.deps.jobs.enqueueDeliverResult({ taskId: task.id, kind: 'running', providerName });
    } catch (e) {
      this.deps.log.warn('Could not enqueue the running notice', { taskId: task.id, err: readable(e) });
    }
  }
}

function provenance(
  task: TaskRecord,
  o: ExecutionOutcome,
  job: GenerateRun,
  generatedAt: Date,
): Record<string, unknown> {
  return {
    provider: o.providerName,
    providerId: o.providerId,
    model: o.model,
    accountId: o.accountId,
    tokens: o.usage,
    latencyMs: o.latencyMs,
    fallbackChain: o.fallbackChain,
    prompt: task.description,
    taskType: task.taskType,
    taskId: task.id,
    attempt: job.attempt,
    generatedAt: generatedAt.toISOString(),
    ...(o.attachments?.length ? { attachments: o.attachments } : {}),
    ...(o.providerMeta ? { providerMeta: o.providerMeta } : {}),
  };
}

function readable(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.trim().slice(0, 1000) || 'unknown error';
}

/** How a run's verdict reads to live consumers. */
function liveEnd(v: RunVerdict): 'completed' | 'failed' | 'cancelled' | 'retry' {
  if (v.status === 'retry') return 'retry';
  if (v.status === 'deadletter') return 'failed';
  return v.outcome === 'completed' ? 'completed' : 'cancelled';
}
