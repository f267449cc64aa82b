import { and, count, desc, eq, gte } from 'drizzle-orm';
import type { AuditSink } from '../core/audit/audit.js';
import type { Logger } from '../logger.js';
import type { Db } from './db.js';
import { auditLog } from './schema.js';
import { oneSnapshot } from './snapshot.js';

export function createAuditStore(db: Db, logger: Logger) {
  const sink: AuditSink & {
    list(q: {
      action?: string;
      actorId?: string;
      since?: Date;
      page: number;
      limit: number;
    }): Promise<{ items: (typeof auditLog.$inferSelect)[]; total: number }>;
  } = {
    async record(e) {
      try {
        await db.insert(auditLog).values({
          actorId: e.actorId ?? null,
          action: e.action,
          targetType: e.targetType ?? null,
          targetId: e.targetId ?? null,
          ip: e.ip ?? null,
          details: e.details ?? null,
        });
      } catch (err) {
        logger.error('Could not write audit entry', { action: e.action, err: (err as Error).message });
        throw err;
      }
    },
    async list({ action, actorId, since, page, limit }) {
      const where = and(
        action ? eq(auditLog.action, action) : undefined,
        actorId ? eq(auditLog.actorId, actorId) : undefined,
        since ? gte(auditLog.at, since) : undefined,
      );
      const [items, [t]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(auditLog)
          .where(where)
          .orderBy(desc(auditLog.at), desc(auditLog.id))
          .limit(limit)
          .offset((page - 1) * limit),
        await tx.select({ n: count() }).from(auditLog).where(where),
      ]);
      return { items, total: t?.n ?? 0 };
    },
  };
  return sink;
}
