/**
 * Task types shared by every adapter. The tasks area implements TaskService (core/tasks/taskService.ts);
 * chat adapters, webhooks and the API only call it.
 */
import type { Actor } from '../actor.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** `awaiting_approval`: held at intake by an `approve` budget until approved, rejected or expired (core/spend/approvals.ts). */
export const TASK_STATUSES = [
  'awaiting_approval',
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_SOURCES = [
  'api',
  'portal',
  'slack',
  'discord',
  'telegram',
  'github',
  'webhook',
  'gateway',
] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export interface TaskOptions {
  maxTokens?: number;
  temperature?: number;
  model?: string;
}

export interface TaskRecord {
  id: string;
  userId: string;
  /** The owning team; null = personal. Team members see it. */
  teamId: string | null;
  title: string;
  description: string;
  taskType: string;
  priority: Priority;
  status: TaskStatus;
  source: TaskSource;
  providerId: string | null;
  options: TaskOptions;
  callbackUrl: string | null;
  webhookId: string | null;
  /** Where the result goes back to (chat channel, GitHub issue, …): adapter-defined JSON. */
  origin: Record<string, unknown> | null;
  contentId: string | null;
  regenerateContentId: string | null;
  error: string | null;
  attempts: number;
  /** The pg-boss job that runs it (the current one, after a re-enqueue). */
  jobId?: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface SubmitTaskInput {
  userId: string;
  /** Makes it the team's task (the caller must be allowed to create tasks in it). */
  teamId?: string | null;
  description: string;
  taskType: string;
  title?: string;
  priority?: Priority;
  source: TaskSource;
  providerId?: string | null;
  options?: TaskOptions;
  callbackUrl?: string | null;
  webhookId?: string | null;
  origin?: Record<string, unknown> | null;
  regenerateContentId?: string | null;
  /**
   * Deduplication through the one inbound_deliveries ledger: the same (source, deliveryId) never
   * makes a second task. Used for Idempotency-Key (API, generic hooks), Slack event ids, Discord
   * interaction ids, Telegram update_ids and X-GitHub-Delivery.
   */
  dedupe?: {
    source: string;
    deliveryId: string;
    /** How long the key is remembered; unset = for as long as the ledger keeps it. API Idempotency-Key: 24 h. */
    windowSeconds?: number;
  };
}

export interface SubmitResult {
  task: TaskRecord;
  /** True when the dedupe key was seen before and the original task is returned. */
  duplicate: boolean;
  /**
   * For a duplicate: the task exactly as the first submission returned it (to replay the original
   * response); `task` is then its current state.
   */
  original?: TaskRecord;
}

/** Lifecycle events handed to result deliverers (chat, GitHub) and webhook callbacks. */
export type TaskEventKind = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface TaskEvent {
  kind: TaskEventKind;
  task: TaskRecord;
  /** For 'running': the provider's display name (e.g. "Claude"). */
  providerName?: string;
  /** For 'completed': the content produced. */
  content?: { id: string; title: string; contentData: string; version: number };
}

/**
 * Delivers a task's progress and result back to where it came from. One per source (slack,
 * discord, telegram, github); registered by the composition root. Called from the deliver-result
 * queue with retries, so it must be idempotent per (task, kind) as far as the platform allows.
 */
export interface ResultDeliverer {
  readonly source: TaskSource;
  deliver(event: TaskEvent): Promise<void>;
}

/**
 * What adapters (API, chat, webhooks) may ask of the tasks area. core/tasks/taskService.ts
 * implements it; adapters depend on this interface only.
 */
export interface TaskCommands {
  /** Inserts the task and its job together (one statement, or a transaction); dedupes on input.dedupe. */
  submit(input: SubmitTaskInput, meta?: { teamChecked?: boolean }): Promise<SubmitResult>;
  /** The task if it belongs to userId (or any task when asAdmin), else null. */
  get(id: string, viewer: Actor): Promise<TaskRecord | null>;
  /** Cancels a queued or running task; throws AppError conflict if already finished, not_found if not visible. */
  cancel(id: string, viewer: Actor): Promise<TaskRecord>;
  /** The viewer's most recent tasks. */
  listRecent(userId: string, limit: number): Promise<TaskRecord[]>;
  /** Moves every task of one user to another (account linking: a guest's tasks follow the real user). */
  reassignUser(fromUserId: string, toUserId: string): Promise<number>;
}
