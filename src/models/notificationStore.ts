import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { oneSnapshot } from './snapshot.js';

export interface NotificationRecord {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  readAt: Date | null;
  createdAt: Date;
}

/** The portal's notifications (id, user_id, kind, payload, read_at, created_at). */
export function createNotificationStore(db: Db) {
  return {
    async add(userIds: string[], kind: string, payload: Record<string, unknown>): Promise<void> {
      if (!userIds.length) return;
      await db.execute(sql`
        INSERT INTO notifications (user_id, kind, payload)
        SELECT u, ${kind}, ${JSON.stringify(payload)}::jsonb FROM unnest(${`{${userIds.join(',')}}`}::uuid[]) AS u`);
    },

    async list(userId: string, q: { page: number; limit: number; unread?: boolean }) {
      const where = sql`user_id = ${userId}::uuid ${q.unread ? sql`AND read_at IS NULL` : sql``}`;
      const [items, total] = await oneSnapshot(db, async (tx) => [
        await tx.execute<{
          id: string;
          kind: string;
          payload: Record<string, unknown>;
          read_at: string | null;
          created_at: string;
        }>(sql`
          SELECT id, kind, payload, read_at, created_at FROM notifications WHERE ${where}
          ORDER BY created_at DESC, id LIMIT ${q.limit} OFFSET ${(q.page - 1) * q.limit}`),
        await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM notifications WHERE ${where}`),
      ]);
      return {
        items: items.rows.map(
          (r): NotificationRecord => ({
            id: r.id,
            kind: r.kind,
            payload: r.payload,
            readAt: r.read_at ? new Date(r.read_at) : null,
            createdAt: new Date(r.created_at),
          }),
        ),
        total: Number(total.rows[0]?.n ?? 0),
      };
    },

    /** Marks the caller's notifications read: the given ids, or all of them. Returns how many changed. */
    async markRead(userId: string, ids: string[] | null): Promise<number> {
      const r = await db.execute(sql`
        UPDATE notifications SET read_at = now()
        WHERE user_id = ${userId}::uuid AND read_at IS NULL
          ${ids ? sql`AND id = ANY(${`{${ids.join(',')}}`}::uuid[])` : sql``}
        RETURNING id`);
      return r.rows.length;
    },
  };
}

export type NotificationStore = ReturnType<typeof createNotificationStore>;
