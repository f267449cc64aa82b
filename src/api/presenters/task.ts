import { z } from 'zod';
import type { AssignmentRecord } from '../../core/tasks/ports.js';
import { PRIORITIES, TASK_SOURCES, TASK_STATUSES, type TaskRecord } from '../../core/tasks/types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const taskSchema = z.object({
  id: z.string(),
  userId: z.string(),
  title: z.string(),
  description: z.string(),
  taskType: z.string(),
  priority: z.enum(PRIORITIES),
  status: z.enum(TASK_STATUSES),
  source: z.enum(TASK_SOURCES),
  providerId: z.string().nullable(),
  options: z.object({
    maxTokens: z.number().optional(),
    temperature: z.number().optional(),
    model: z.string().optional(),
  }),
  callbackUrl: z.string().nullable(),
  regenerateContentId: z.string().nullable(),
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  contentId: z.string().nullable(),
  error: z.string().nullable(),
});

export type TaskBody = z.infer<typeof taskSchema>;

/** Whitelists what a client sees of a task (never its origin, job id or routing internals). */
export function presentTask(t: TaskRecord): TaskBody {
  return {
    id: t.id,
    userId: t.userId,
    title: t.title,
    description: t.description,
    taskType: t.taskType,
    priority: t.priority,
    status: t.status,
    source: t.source,
    providerId: t.providerId,
    options: t.options ?? {},
    callbackUrl: t.callbackUrl,
    regenerateContentId: t.regenerateContentId,
    attempts: t.attempts,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    startedAt: iso(t.startedAt),
    completedAt: iso(t.completedAt),
    contentId: t.contentId,
    error: t.error,
  };
}

export const assignmentSchema = z.object({
  id: z.string(),
  providerId: z.string().nullable(),
  providerName: z.string().nullable(),
  accountId: z.string().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'aborted']),
  attemptCount: z.number(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  model: z.string().nullable(),
  tokensInput: z.number(),
  tokensOutput: z.number(),
  tokensUsed: z.number(),
  latencyMs: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function presentAssignment(a: AssignmentRecord): z.infer<typeof assignmentSchema> {
  return {
    id: a.id,
    providerId: a.providerId,
    providerName: a.providerName,
    accountId: a.accountId,
    status: a.status,
    attemptCount: a.attemptCount,
    errorCode: a.errorCode,
    errorMessage: a.errorMessage,
    model: a.model,
    tokensInput: a.tokensInput,
    tokensOutput: a.tokensOutput,
    tokensUsed: a.tokensUsed,
    latencyMs: a.latencyMs,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}
