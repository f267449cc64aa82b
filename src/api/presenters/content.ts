import { z } from 'zod';
import type { ContentView } from '../../core/tasks/ports.js';

export const contentSchema = z.object({
  id: z.string(),
  taskId: z.string().nullable(),
  userId: z.string(),
  title: z.string(),
  contentType: z.string(),
  contentData: z.string(),
  version: z.number(),
  status: z.enum(['draft', 'published', 'archived']),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const contentVersionItemSchema = z.object({
  version: z.number(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  source: z.string(),
});

export function presentContent(c: ContentView): z.infer<typeof contentSchema> {
  return {
    id: c.id,
    taskId: c.taskId,
    userId: c.userId,
    title: c.title,
    contentType: c.contentType,
    contentData: c.contentData,
    version: c.version,
    status: c.status,
    metadata: c.metadata,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function presentContentVersions(c: ContentView): Array<z.infer<typeof contentVersionItemSchema>> {
  return c.versions.map((v) => ({
    version: v.version,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
    source: v.source,
  }));
}
