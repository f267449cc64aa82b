import type { ProviderKind } from '../providers/connector.js';
import type { Priority, TaskEventKind, TaskOptions, TaskRecord, TaskSource, TaskStatus } from './types.js';

/**
 * What the task use cases need from the outside world. Implemented in src/models (storage) and
 * src/jobs (the pg-boss queue); the composition root wires them together.
 */

/**
 * An open database transaction, as the queue needs it to write its job inside it (pg-boss's
 * `{ executeSql }`). Core never runs SQL through it: it only hands it from the store to the queue,
 * so the task row and its job commit or roll back together.
 */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Work to run inside a store's transaction, after its own writes (typically: enqueue jobs). */
export type InTransaction = (task: TaskRecord, tx: SqlExecutor) => Promise<void>;

export interface NewTask {
  userId: string;
  title: string;
  description: string;
  taskType: string;
  priority: Priority;
  source: TaskSource;
  providerId: string | null;
  options: TaskOptions;
  callbackUrl: string | null;
  webhookId: string | null;
  origin: Record<string, unknown> | null;
  regenerateContentId: string | null;
  jobId: string;
}

export interface TaskListQuery {
  /** Only this user's tasks; unset = everyone's (admins). */
  userId?: string;
  status?: TaskStatus;
  taskType?: string;
  source?: TaskSource;
  page: number;
  limit: number;
}

export type TaskPatch = Partial<Pick<TaskRecord, 'title' | 'description' | 'priority' | 'taskType'>>;

export type AssignmentStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

export interface AssignmentRecord {
  id: string;
  taskId: string;
  providerId: string | null;
  providerName: string | null;
  accountId: string | null;
  status: AssignmentStatus;
  attemptCount: number;
  errorCode: string | null;
  errorMessage: string | null;
  model: string | null;
  tokensInput: number;
  tokensOutput: number;
  tokensUsed: number;
  latencyMs: number | null;
  settledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a completed run stores: the text becomes content (version 1, or the next version of a regeneration). */
export interface CompletionInput {
  title: string;
  text: string;
  /** Provenance kept on the content version (provider, model, account, tokens, latency, fallback chain, prompt). */
  metadata: Record<string, unknown>;
}

export interface StoredContent {
  id: string;
  title: string;
  contentData: string;
  version: number;
}

export interface TaskStore {
  /**
   * Intake, in ONE transaction: claims the dedupe key in the inbound_deliveries ledger (when given),
   * inserts the task, then runs `inTx` (which enqueues the job through the same transaction).
   * A key already claimed (within its window) inserts nothing and returns the task it made.
   */
  insertQueued(
    task: NewTask,
    opts: { dedupe?: { source: string; deliveryId: string; windowSeconds?: number }; inTx: InTransaction },
  ): Promise<
    | { duplicate: false; task: TaskRecord }
    | { duplicate: true; task: TaskRecord | null; original: TaskRecord | null }
  >;
  get(id: string): Promise<TaskRecord | null>;
  list(q: TaskListQuery): Promise<{ items: TaskRecord[]; total: number }>;
  assignments(taskId: string): Promise<AssignmentRecord[]>;
  /** Changes a queued task; 'not_queued' when it has left that state, null when unknown. */
  updateQueued(id: string, patch: TaskPatch, inTx?: InTransaction): Promise<TaskRecord | 'not_queued' | null>;
  /**
   * Marks a queued or running task cancelled and tells running workers (in any process) to abort
   * it. 'finished' when it had already ended, null when unknown.
   */
  cancel(id: string, inTx?: InTransaction): Promise<TaskRecord | 'finished' | null>;
  /** Deletes the task (its assignments go with it). */
  delete(id: string): Promise<boolean>;

  // --- the worker's side -------------------------------------------------------------------------

  /**
   * queued|running → running for this job's run (a re-run after a crash finds it running), bumps
   * `attempts`, and marks attempts left `running` by a lost worker as failed. Null when the task is
   * gone or already finished (cancelled, completed, failed): the job then has nothing to do.
   */
  markRunning(id: string, jobId: string): Promise<{ task: TaskRecord; firstStart: boolean } | null>;
  /** running → queued while the job waits for its retry (or after a shutdown released it). */
  requeue(id: string): Promise<void>;
  /**
   * running → completed with its content, exactly once: the task row is locked, and a run that
   * finds it no longer running stores nothing (returns null). `inTx` enqueues the deliveries.
   */
  complete(
    id: string,
    result: CompletionInput,
    inTx?: InTransaction,
  ): Promise<{ task: TaskRecord; content: StoredContent } | null>;
  /** queued|running → failed with a readable error; null when it had already finished. */
  fail(id: string, error: string, inTx?: InTransaction): Promise<TaskRecord | null>;
  /** The content a completed task produced (for result delivery). */
  contentOf(task: TaskRecord): Promise<StoredContent | null>;
}

/** One attempt of a task on one provider account: a task_assignments row. */
export interface AssignmentStore {
  start(a: {
    taskId: string;
    providerId: string;
    providerName: string;
    accountId: string | null;
    attempt: number;
    model: string | null;
    tokensReserved?: number;
  }): Promise<string>;
  /**
   * Records how the attempt ended and, exactly once per attempt (settled_at), adds its token usage to
   * the account. A second call for the same attempt changes nothing.
   */
  finish(
    id: string,
    r: {
      status: Exclude<AssignmentStatus, 'running'>;
      model?: string | null;
      tokensInput?: number;
      tokensOutput?: number;
      tokensUsed?: number;
      latencyMs?: number | null;
      errorCode?: string | null;
      errorMessage?: string | null;
    },
  ): Promise<void>;
}

/** A provider account the executor may call, with its decrypted credentials. */
export interface ProviderCandidate {
  providerId: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  apiEndpoint: string | null;
  defaultModel: string | null;
  timeoutMs: number;
  config: Record<string, unknown>;
  competency: number;
  account: { id: string; name: string; credentials: { apiKey?: string; [k: string]: unknown } } | null;
}

export interface ProviderDirectory {
  /**
   * Active providers that can run `taskType` (competency > 0), each with an active account that has
   * budget left, primary tier first then by competency. `pinnedProviderId` narrows to that provider.
   */
  candidates(taskType: string, pinnedProviderId?: string | null): Promise<ProviderCandidate[]>;
}

export interface DeliverResultJob {
  taskId: string;
  kind: TaskEventKind;
  providerName?: string;
}

export interface DeliverWebhookJob {
  taskId: string;
  event: 'task.completed' | 'task.failed';
}

/** The job queue, as the task use cases see it. `tx` writes the job inside the caller's transaction. */
export interface TaskJobs {
  enqueueGenerate(
    job: { jobId: string; taskId: string; priority: Priority },
    tx?: SqlExecutor,
  ): Promise<void>;
  /** Changes a waiting job's priority (no effect once it runs). */
  reprioritize(jobId: string, priority: Priority, tx?: SqlExecutor): Promise<void>;
  /** Cancels the job if it has not finished (a running one's claim is withdrawn). */
  cancelGenerate(jobId: string, tx?: SqlExecutor): Promise<void>;
  enqueueDeliverResult(job: DeliverResultJob, tx?: SqlExecutor): Promise<void>;
  enqueueDeliverWebhook(job: DeliverWebhookJob, tx?: SqlExecutor): Promise<void>;
}

/** Cancellation that reaches a worker in any process (NOTIFY plus a poll of the task's state). */
export interface CancelSignals {
  watch(taskId: string): { signal: AbortSignal; release(): void };
}

/** A content item as stored, with its version list (GET /api/content/:id). */
export interface ContentView {
  id: string;
  taskId: string | null;
  userId: string;
  title: string;
  contentType: string;
  contentData: string;
  version: number;
  status: 'draft' | 'published' | 'archived';
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  versions: Array<{ version: number; createdAt: Date; createdBy: string | null; source: string }>;
}

export interface ContentReader {
  getWithVersions(id: string): Promise<ContentView | null>;
}
