import type { Attachment } from '../providers/connector.js';
import type { TaskRecord } from './types.js';

/**
 * Runs one task on an AI provider: picks where it goes, calls the connector, records every attempt
 * as a task_assignments row (with its tokens settled exactly once), and returns the text. The worker
 * (core/tasks/taskRunner.ts) does everything around it: task state, content, retries, delivery.
 *
 * The router (core/routing/routedExecutor.ts) implements it: competency/budget/health scoring and
 * fallback.
 *
 * Errors: throw ProviderRejected (retrying cannot help: the task fails now), ProviderUnavailable
 * (the job is retried with backoff) or ProviderAborted (ctx.signal fired: cancelled or shutting down).
 */
export interface ExecutionContext {
  /** Fires when the task is cancelled (from any process), the worker shuts down, or the job's claim is lost. */
  signal: AbortSignal;
  jobId: string;
  /** 1-based run of this task's job (pg-boss retryCount + 1). */
  attempt: number;
  /** Call once a provider has been chosen and the call is about to start (progress for chat users). */
  onRunning(providerName: string): void;
  /** A piece of the answer as the provider streams it (live results); the pieces of one attempt joined are its text. */
  onDelta?(text: string): void;
  /**
   * A new provider attempt starts (after a failure, with another provider): text streamed by the
   * attempt before it is void, and consumers start again from nothing.
   */
  onAttempt?(attempt: { number: number; providerName: string }): void;
  /**
   * The same object for every task the worker claimed together in one batch: an executor may read
   * state that does not depend on the task once per batch, keyed on it (the router's snapshot).
   */
  batch?: object;
}

export interface ExecutionOutcome {
  text: string;
  /** A title the provider produced, if any; the task's title is used otherwise. */
  title?: string;
  model: string;
  providerId: string;
  providerName: string;
  accountId: string | null;
  /** The task_assignments row of the attempt that produced the text. */
  assignmentId: string;
  usage: { input: number; output: number; total: number; estimated?: boolean };
  latencyMs: number;
  /** Provider names tried, in order, ending with the one that answered. */
  fallbackChain: string[];
  attachments?: Attachment[];
  /** Provider-specific details worth keeping (never secrets). */
  providerMeta?: Record<string, unknown>;
}

export interface TaskExecutor {
  execute(task: TaskRecord, ctx: ExecutionContext): Promise<ExecutionOutcome>;
}
