import type { TaskRecord } from '../tasks/types.js';
import type { CallbackEvent } from './ports.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public `task` shape (API.md), as sent in callbacks. */
export function presentTaskForCallback(t: TaskRecord) {
  return {
    id: t.id,
    userId: t.userId,
    title: t.title,
    description: t.description,
    taskType: t.taskType,
    priority: t.priority,
    status: t.status,
    source: t.source,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    startedAt: iso(t.startedAt),
    completedAt: iso(t.completedAt),
    contentId: t.contentId,
    error: t.error,
    webhookId: t.webhookId,
  };
}

export interface CallbackBody {
  event: CallbackEvent;
  task: ReturnType<typeof presentTaskForCallback>;
  content?: { id: string; title: string; contentData: string; version: number };
}

export function buildCallbackBody(
  event: CallbackEvent,
  task: TaskRecord,
  content: { id: string; title: string; contentData: string; version: number } | null,
): CallbackBody {
  return {
    event,
    task: presentTaskForCallback(task),
    ...(content
      ? {
          content: {
            id: content.id,
            title: content.title,
            contentData: content.contentData,
            version: content.version,
          },
        }
      : {}),
  };
}
