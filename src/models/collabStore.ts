import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type {
  ActivityItem,
  ActivityStore,
  CommentRecord,
  CommentStore,
  NotificationRecord,
  NotificationStore,
  ReviewStore,
  UserLookup,
} from '../core/collab/ports.js';
import type { ReviewState } from '../core/content/ports.js';
import type { Db } from './db.js';
import {
  content,
  contentComments,
  contentReviewEvents,
  contentReviewers,
  notifications,
  users,
} from './schema.js';
import { oneSnapshot } from './snapshot.js';

type CommentRow = typeof contentComments.$inferSelect;

const toComment = (r: CommentRow, authorUsername: string | null): CommentRecord => ({
  id: r.id,
  contentId: r.contentId,
  version: r.version,
  authorId: r.authorId,
  authorUsername,
  body: r.body,
  quote: r.quote,
  parentId: r.parentId,
  resolvedAt: r.resolvedAt,
  resolvedBy: r.resolvedBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** Comments, with their author's username joined in. */
export function createCommentStore(db: Db): CommentStore {
  const select = () =>
    db
      .select({ c: contentComments, username: users.username })
      .from(contentComments)
      .leftJoin(users, eq(users.id, contentComments.authorId));
  const one = async (contentId: string, id: string) => {
    const [r] = await select().where(
      and(eq(contentComments.contentId, contentId), eq(contentComments.id, id)),
    );
    return r ? toComment(r.c, r.username) : null;
  };
  return {
    async create(c) {
      const [r] = await db.insert(contentComments).values(c).returning({ id: contentComments.id });
      return (await one(c.contentId, r!.id))!;
    },
    get: one,
    async list(contentId) {
      const rows = await select()
        .where(eq(contentComments.contentId, contentId))
        .orderBy(asc(contentComments.createdAt), asc(contentComments.id));
      return rows.map((r) => toComment(r.c, r.username));
    },
    async update(contentId, id, change) {
      const set: Record<string, unknown> = { updatedAt: sql`now()` };
      if (change.body !== undefined) set.body = change.body;
      if (change.resolved === true) {
        set.resolvedAt = sql`coalesce(${contentComments.resolvedAt}, now())`;
        set.resolvedBy = sql`coalesce(${contentComments.resolvedBy}, ${change.by}::uuid)`;
      } else if (change.resolved === false) {
        set.resolvedAt = null;
        set.resolvedBy = null;
      }
      const r = await db
        .update(contentComments)
        .set(set as Partial<typeof contentComments.$inferInsert>)
        .where(and(eq(contentComments.contentId, contentId), eq(contentComments.id, id)))
        .returning({ id: contentComments.id });
      return r.length ? one(contentId, id) : null;
    },
    async delete(contentId, id) {
      const r = await db
        .delete(contentComments)
        .where(
          and(
            eq(contentComments.contentId, contentId),
            or(eq(contentComments.id, id), eq(contentComments.parentId, id)),
          ),
        )
        .returning({ id: contentComments.id });
      return r.length > 0;
    },
  };
}

const toNotification = (r: typeof notifications.$inferSelect): NotificationRecord => ({
  id: r.id,
  userId: r.userId,
  kind: r.kind,
  payload: r.payload ?? {},
  readAt: r.readAt,
  createdAt: r.createdAt,
});

export function createNotificationStore(db: Db): NotificationStore {
  return {
    async createMany(userIds, kind, payload) {
      const ids = [...new Set(userIds)];
      if (ids.length === 0) return [];
      const rows = await db
        .insert(notifications)
        .values(ids.map((userId) => ({ userId, kind, payload })))
        .returning();
      return rows.map(toNotification);
    },
    async list(userId, q) {
      const where = q.unreadOnly
        ? and(eq(notifications.userId, userId), isNull(notifications.readAt))
        : eq(notifications.userId, userId);
      const [rows, counts] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(notifications)
          .where(where)
          .orderBy(sql`${notifications.createdAt} DESC, ${notifications.id} DESC`)
          .limit(q.limit)
          .offset((q.page - 1) * q.limit),
        await tx.execute<{ total: number; unread: number }>(sql`
          SELECT count(*)::int AS total, count(*) FILTER (WHERE read_at IS NULL)::int AS unread
          FROM notifications WHERE user_id = ${userId}`),
      ]);
      const c = counts.rows[0] ?? { total: 0, unread: 0 };
      return { items: rows.map(toNotification), total: q.unreadOnly ? c.unread : c.total, unread: c.unread };
    },
    async markRead(userId, ids) {
      const r = await db
        .update(notifications)
        .set({ readAt: sql`now()` as never })
        .where(
          and(
            eq(notifications.userId, userId),
            isNull(notifications.readAt),
            ...(ids ? [inArray(notifications.id, ids)] : []),
          ),
        )
        .returning({ id: notifications.id });
      return r.length;
    },
  };
}

export function createUserLookup(db: Db): UserLookup {
  return {
    async byUsernames(names) {
      if (names.length === 0) return [];
      const lower = names.map((n) => n.toLowerCase());
      return db
        .select({ id: users.id, username: users.username })
        .from(users)
        .where(
          and(
            inArray(sql`lower(${users.username})`, lower),
            eq(users.status, 'active'),
            eq(users.isGuest, false),
          ),
        );
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      return db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ids));
    },
  };
}

export function createReviewStore(db: Db): ReviewStore {
  return {
    async reviewers(contentId) {
      return db
        .select({
          userId: contentReviewers.userId,
          username: users.username,
          decision: contentReviewers.decision,
        })
        .from(contentReviewers)
        .leftJoin(users, eq(users.id, contentReviewers.userId))
        .where(eq(contentReviewers.contentId, contentId))
        .orderBy(asc(contentReviewers.createdAt));
    },
    async transition(t) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select({ state: content.reviewState, version: content.version })
          .from(content)
          .where(eq(content.id, t.contentId))
          .for('update');
        if (!row || !t.from.includes(row.state)) return null;
        if (t.reviewers) {
          await tx.delete(contentReviewers).where(eq(contentReviewers.contentId, t.contentId));
          await tx
            .insert(contentReviewers)
            .values(t.reviewers.map((userId) => ({ contentId: t.contentId, userId })));
        } else if (t.action === 'submit') {
          await tx
            .update(contentReviewers)
            .set({ decision: 'pending' })
            .where(eq(contentReviewers.contentId, t.contentId));
        }
        if (t.decision) {
          await tx
            .update(contentReviewers)
            .set({ decision: t.decision.value })
            .where(
              and(
                eq(contentReviewers.contentId, t.contentId),
                eq(contentReviewers.userId, t.decision.userId),
              ),
            );
        }
        await tx
          .update(content)
          .set({
            reviewState: t.to,
            updatedAt: sql`now()` as never,
            ...(t.publish ? { publishedVersion: row.version, status: 'published' as const } : {}),
          })
          .where(eq(content.id, t.contentId));
        await tx.insert(contentReviewEvents).values({
          contentId: t.contentId,
          actorId: t.actorId,
          action: t.action,
          fromState: row.state,
          toState: t.to,
          version: row.version,
          note: t.note,
        });
        return { fromState: row.state as ReviewState, version: row.version };
      });
    },
  };
}

export function createActivityStore(db: Db): ActivityStore {
  return {
    async activity(contentId, limit) {
      const r = await db.execute<{
        at: Date | string;
        kind: ActivityItem['kind'];
        actor_id: string | null;
        actor_username: string | null;
        details: Record<string, unknown>;
      }>(sql`
        SELECT x.at, x.kind, x.actor_id, u.username AS actor_username, x.details FROM (
          SELECT v.created_at AS at, 'version' AS kind, v.created_by AS actor_id,
                 jsonb_build_object('version', v.version, 'source', v.source, 'title', v.title) AS details
            FROM content_versions v WHERE v.content_id = ${contentId}
          UNION ALL
          SELECT c.created_at, 'comment', c.author_id,
                 jsonb_build_object('commentId', c.id, 'version', c.version, 'parentId', c.parent_id,
                                    'excerpt', left(c.body, 200), 'resolved', c.resolved_at IS NOT NULL)
            FROM content_comments c WHERE c.content_id = ${contentId}
          UNION ALL
          SELECT e.created_at, 'review', e.actor_id,
                 jsonb_build_object('action', e.action, 'from', e.from_state, 'to', e.to_state,
                                    'version', e.version, 'note', e.note)
            FROM content_review_events e WHERE e.content_id = ${contentId}
          UNION ALL
          SELECT a.at, CASE WHEN a.action = 'content.export' THEN 'export' ELSE 'share' END, a.actor_id,
                 jsonb_build_object('action', a.action) || coalesce(a.details, '{}'::jsonb)
            FROM audit_log a
           WHERE a.target_type = 'content' AND a.target_id = ${contentId}::text
             AND a.action IN ('content.export', 'content.share.create', 'content.share.revoke')
        ) x LEFT JOIN users u ON u.id = x.actor_id
        ORDER BY x.at, x.kind
        LIMIT ${limit}`);
      return r.rows.map((row) => ({
        at: new Date(row.at),
        kind: row.kind,
        actorId: row.actor_id,
        actorUsername: row.actor_username,
        details: row.details,
      }));
    },
  };
}
