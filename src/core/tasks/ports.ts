import type { IntakeScopes } from '../spend/ports.js';
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

/** The audit entry intake writes with the task (target: the task). */
export interface IntakeAudit {
  actorId: string | null;
  action: string;
  ip: string | null;
  details?: Record<string, unknown>;
}

/**
 * A queue job written by another statement (the folded intake): `insert` is an INSERT … RETURNING id
 * whose one parameter, `$1`, is bound to `payload`; `wake`, when set, is the expression that wakes the
 * queue's workers. Core only hands it from the queue to the store.
 */
export interface FoldedJob {
  insert: string;
  payload: string;
  wake: string | null;
}

/** What intake folds into its one statement beside the task: its job, and its budget reservation. */
export interface IntakeFold {
  job: FoldedJob;
  /** Reserved on every applicable budget, or on none (spend control; absent when it is off). */
  reserve?: { scopes: IntakeScopes; micros: number; tokens: number };
}

export interface NewTask {
  /** Set when intake needs the id before the row exists (its folded job and reservation name it). */
  id?: string;
  userId: string;
  teamId: string | null;
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
  /** Only this team's tasks. */
  teamId?: string;
  /** Only tasks this user owns or that belong to one of these teams. */
  visibleTo?: { userId: string; teamIds: string[] };
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
   * inserts the task with its audit entry, then runs `inTx` (which enqueues the job through the same
   * transaction). A key already claimed (within its window) inserts nothing and returns the task it made.
   *
   * With `fold`, ONE statement does all of it (claim, task, audit, budget reservation, job) without
   * BEGIN/COMMIT; when a budget lacks room that statement writes nothing and intake runs the
   * transaction above instead, where `inTx` refuses or holds the task.
   */
  insertQueued(
    task: NewTask,
    opts: {
      dedupe?: { source: string; deliveryId: string; windowSeconds?: number };
      /** The `task.create` audit entry, written with the task (its target is the new task). */
      audit?: IntakeAudit;
      inTx: InTransaction;
      fold?: IntakeFold;
    },
  ): Promise<
    | { duplicate: false; task: TaskRecord }
    | { duplicate: true; task: TaskRecord | null; original: TaskRecord | null }
  >;
  get(id: string): Promise<TaskRecord | null>;
  list(q: TaskListQuery): Promise<{ items: TaskRecord[]; total: number }>;
  /** A user's most recent tasks, newest first (no total). */
  recent(userId: string, limit: number): Promise<TaskRecord[]>;
  assignments(taskId: string): Promise<AssignmentRecord[]>;
  /** Changes a queued task; 'not_queued' when it has left that state, null when unknown. */
  updateQueued(id: string, patch: TaskPatch, inTx?: InTransaction): Promise<TaskRecord | 'not_queued' | null>;
  /**
   * Marks a waiting (awaiting_approval), queued or running task cancelled and tells running workers
   * (in any process) to abort it. 'finished' when it had already ended, null when unknown.
   */
  cancel(id: string, inTx?: InTransaction): Promise<TaskRecord | 'finished' | null>;
  /** Deletes the task (its assignments go with it). */
  delete(id: string): Promise<boolean>;
  /** Moves every task of one user (with its content and share links) to another; returns how many tasks moved. */
  reassignUser(fromUserId: string, toUserId: string): Promise<number>;

  // --- the worker's side -------------------------------------------------------------------------

  /**
   * For each claimed job, in one statement: queued|running → running for this job's run (a re-run
   * after a crash finds it running), bumps `attempts`, and marks attempts left `running` by a lost
   * worker as failed. A task missing from the result is gone or already finished (cancelled,
   * completed, failed): its job has nothing to do. Task ids must be distinct.
   */
  markRunning(
    runs: ReadonlyArray<{ taskId: string; jobId: string }>,
  ): Promise<Map<string, { task: TaskRecord; firstStart: boolean }>>;
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

export interface DeliverResultJob {
  taskId: string;
  kind: TaskEventKind;
  providerName?: string;
}

export interface DeliverWebhookJob {
  taskId: string;
  event: 'task.completed' | 'task.failed' | 'task.cancelled';
}

/** The job queue, as the task use cases see it. `tx` writes the job inside the caller's transaction. */
export interface TaskJobs {
  /** The `generate` job as another statement can write it (the folded intake, `TaskStore.insertQueued`). */
  prepareGenerate(job: { jobId: string; taskId: string; priority: Priority }): Promise<FoldedJob>;
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

/** Team membership as the task use cases need it (core/teams implements it). */
export interface TeamMembership {
  /** The user's role in the team, or null when not a member (or no such team). */
  roleOf(teamId: string, userId: string): Promise<'owner' | 'admin' | 'member' | null>;
  teamIdsOf(userId: string): Promise<string[]>;
  /** Whether the team exists (site admins pass the role check, but not for a team that is not there). */
  exists(teamId: string): Promise<boolean>;
}
