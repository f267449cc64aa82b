import { asc, eq } from 'drizzle-orm';
import type { ContentReader } from '../core/tasks/ports.js';
import type { Db } from './db.js';
import { content, contentVersions } from './schema.js';

/** Reading content with its version list. (The content area extends this with edits, restores, shares.) */
export function createContentReader(db: Db): ContentReader {
  return {
    async getWithVersions(id) {
      const [c] = await db.select().from(content).where(eq(content.id, id));
      if (!c) return null;
      const versions = await db
        .select({
          version: contentVersions.version,
          createdAt: contentVersions.createdAt,
          createdBy: contentVersions.createdBy,
          source: contentVersions.source,
        })
        .from(contentVersions)
        .where(eq(contentVersions.contentId, id))
        .orderBy(asc(contentVersions.version));
      return {
        id: c.id,
        taskId: c.taskId,
        userId: c.userId,
        title: c.title,
        contentType: c.contentType,
        contentData: c.contentData,
        version: c.version,
        status: c.status,
        metadata: c.metadata ?? {},
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        versions,
      };
    },
  };
}
