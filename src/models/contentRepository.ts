import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  ilike,
  inArray,
  isNull,
  max,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type {
  ContentHead,
  ContentListQuery,
  ContentRecord,
  ContentRepository,
  RegenerationSource,
  ShareRecord,
  VersionRecord,
  VersionSource,
  VersionSummary,
} from '../core/content/ports.js';
import type { Db } from './db.js';
import { content, contentShares, contentVersions, tasks, users } from './schema.js';
import { oneSnapshot } from './snapshot.js';

type ContentRow = typeof content.$inferSelect;
type VersionRow = typeof contentVersions.$inferSelect;
type ShareRow = typeof contentShares.$inferSelect;

const toContent = (r: ContentRow): ContentRecord => ({
  id: r.id,
  taskId: r.taskId,
  userId: r.userId,
  teamId: r.teamId,
  title: r.title,
  contentType: r.contentType,
  contentData: r.contentData,
  version: r.version,
  status: r.status,
  metadata: r.metadata ?? {},
  reviewState: r.reviewState,
  publishedVersion: r.publishedVersion,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const toVersion = (r: VersionRow): VersionRecord => ({
  contentId: r.contentId,
  version: r.version,
  title: r.title,
  contentData: r.contentData,
  source: r.source as VersionSource,
  createdBy: r.createdBy,
  taskId: r.taskId,
  metadata: r.metadata ?? {},
  createdAt: r.createdAt,
});

const toShare = (r: ShareRow): ShareRecord => ({
  id: r.id,
  contentId: r.contentId,
  userId: r.userId,
  version: r.version,
  expiresAt: r.expiresAt,
  revokedAt: r.revokedAt,
  createdAt: r.createdAt,
});

/** `q` as an ILIKE pattern that matches it literally (%, _ and \ escaped; \ is PostgreSQL's default escape). */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, '\\$&')}%`;
}

function listWhere(q: Omit<ContentListQuery, 'page' | 'limit'>): SQL | undefined {
  const pattern = q.q ? containsPattern(q.q) : undefined;
  return and(
    q.userId ? eq(content.userId, q.userId) : undefined,
    q.teamId ? eq(content.teamId, q.teamId) : undefined,
    q.taskId ? eq(content.taskId, q.taskId) : undefined,
    q.status ? eq(content.status, q.status) : undefined,
    q.updatedSince ? gte(content.updatedAt, q.updatedSince) : undefined,
    pattern ? or(ilike(content.title, pattern), ilike(content.contentData, pattern)) : undefined,
  );
}

/** Content, its versions and its share links (core/content/ports.ts ContentRepository). */
export function createContentRepository(db: Db): ContentRepository & {
  /** Content in id order after `afterId`, for batch export (stable while rows are added). */
  scan(q: {
    userId?: string;
    updatedSince?: Date;
    afterId?: string;
    limit: number;
  }): Promise<ContentRecord[]>;
  countAll(q: { userId?: string; updatedSince?: Date }): Promise<number>;
} {
  return {
    async get(id) {
      const [r] = await db.select().from(content).where(eq(content.id, id));
      return r ? toContent(r) : null;
    },

    async head(id): Promise<ContentHead | null> {
      const { contentData: _body, ...columns } = getTableColumns(content);
      const [r] = await db.select(columns).from(content).where(eq(content.id, id));
      if (!r) return null;
      const { contentData: _none, ...head } = toContent({ ...r, contentData: '' });
      return head;
    },

    async versionBytes(contentId, versions) {
      // octet_length reads the stored size from the TOAST pointer: the body itself is not fetched.
      const rows = await db
        .select({
          version: contentVersions.version,
          bytes: sql<number>`octet_length(${contentVersions.contentData})`,
        })
        .from(contentVersions)
        .where(and(eq(contentVersions.contentId, contentId), inArray(contentVersions.version, versions)));
      return new Map(rows.map((r) => [r.version, Number(r.bytes)]));
    },

    async versions(contentId) {
      const rows = await db
        .select({
          version: contentVersions.version,
          createdAt: contentVersions.createdAt,
          createdBy: contentVersions.createdBy,
          source: contentVersions.source,
        })
        .from(contentVersions)
        .where(eq(contentVersions.contentId, contentId))
        .orderBy(asc(contentVersions.version));
      return rows as VersionSummary[];
    },

    async version(contentId, version) {
      const [r] = await db
        .select()
        .from(contentVersions)
        .where(and(eq(contentVersions.contentId, contentId), eq(contentVersions.version, version)));
      return r ? toVersion(r) : null;
    },

    async list(q) {
      const where = listWhere(q);
      const [rows, [total]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(content)
          .where(where)
          .orderBy(desc(content.updatedAt), desc(content.id))
          .limit(q.limit)
          .offset((q.page - 1) * q.limit),
        await tx.select({ n: count() }).from(content).where(where),
      ]);
      return { items: rows.map(toContent), total: total?.n ?? 0 };
    },

    async change(id, decide) {
      return db.transaction(async (tx) => {
        // The row lock serialises every writer of this content (edits, restores, and the worker's
        // regeneration, which locks the same row): the version below is numbered under it.
        const [row] = await tx.select().from(content).where(eq(content.id, id)).for('update');
        if (!row) return null;
        const plan = decide(toContent(row));
        if (!plan.version && !plan.status) return { content: toContent(row), created: null };

        const set: Omit<Partial<typeof content.$inferInsert>, 'updatedAt'> & { updatedAt: SQL } = {
          updatedAt: sql`now()`,
        };
        let created: VersionSummary | null = null;
        if (plan.version) {
          const [last] = await tx
            .select({ v: max(contentVersions.version) })
            .from(contentVersions)
            .where(eq(contentVersions.contentId, id));
          const next = Math.max(row.version, last?.v ?? 0) + 1;
          const [v] = await tx
            .insert(contentVersions)
            .values({
              contentId: id,
              version: next,
              title: plan.version.title,
              contentData: plan.version.contentData,
              source: plan.version.source,
              createdBy: plan.version.createdBy,
              metadata: plan.version.metadata,
            })
            .returning();
          created = {
            version: v!.version,
            createdAt: v!.createdAt,
            createdBy: v!.createdBy,
            source: v!.source as VersionSource,
          };
          set.title = plan.version.title;
          set.contentData = plan.version.contentData;
          set.version = next;
          set.metadata = plan.version.metadata;
        }
        if (plan.status) set.status = plan.status;
        const [updated] = await tx.update(content).set(set).where(eq(content.id, id)).returning();
        return { content: toContent(updated!), created };
      });
    },

    async delete(id) {
      const r = await db.delete(content).where(eq(content.id, id)).returning({ id: content.id });
      return r.length > 0;
    },

    async regenerationSource(contentId): Promise<RegenerationSource | null> {
      // The task that generated the content, while it exists…
      const [fromTask] = await db
        .select({ description: tasks.description, taskType: tasks.taskType, options: tasks.options })
        .from(content)
        .innerJoin(tasks, eq(tasks.id, content.taskId))
        .where(eq(content.id, contentId));
      if (fromTask) return { ...fromTask, options: fromTask.options ?? {} };
      // …otherwise the prompt recorded in the latest generated version's provenance.
      const [fromMeta] = await db
        .select({
          description: sql<string | null>`${contentVersions.metadata}->>'prompt'`,
          taskType: sql<string | null>`${contentVersions.metadata}->>'taskType'`,
        })
        .from(contentVersions)
        .where(
          and(
            eq(contentVersions.contentId, contentId),
            sql`${contentVersions.metadata} ? 'prompt'`,
            sql`${contentVersions.metadata} ? 'taskType'`,
          ),
        )
        .orderBy(desc(contentVersions.version))
        .limit(1);
      if (fromMeta?.description && fromMeta.taskType)
        return { description: fromMeta.description, taskType: fromMeta.taskType, options: {} };
      return null;
    },

    async createShare(s) {
      const [r] = await db
        .insert(contentShares)
        .values({
          contentId: s.contentId,
          userId: s.userId,
          tokenHash: s.tokenHash,
          version: s.version,
          expiresAt: s.expiresAt,
        })
        .returning();
      return toShare(r!);
    },

    async listShares(contentId, page, limit) {
      const where = eq(contentShares.contentId, contentId);
      const [rows, [total]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(contentShares)
          .where(where)
          .orderBy(desc(contentShares.createdAt), desc(contentShares.id))
          .limit(limit)
          .offset((page - 1) * limit),
        await tx.select({ n: count() }).from(contentShares).where(where),
      ]);
      return { items: rows.map(toShare), total: total?.n ?? 0 };
    },

    async revokeShare(contentId, shareId) {
      const [r] = await db
        .update(contentShares)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(contentShares.id, shareId),
            eq(contentShares.contentId, contentId),
            isNull(contentShares.revokedAt),
          ),
        )
        .returning();
      if (r) return { share: toShare(r), changed: true };
      const [already] = await db
        .select()
        .from(contentShares)
        .where(and(eq(contentShares.id, shareId), eq(contentShares.contentId, contentId)));
      return already ? { share: toShare(already), changed: false } : null;
    },

    async findActiveShare(tokenHash) {
      const [r] = await db
        .select({ share: contentShares, content, ownerStatus: users.status })
        .from(contentShares)
        .innerJoin(content, eq(content.id, contentShares.contentId))
        .innerJoin(users, eq(users.id, content.userId))
        .where(
          and(
            eq(contentShares.tokenHash, tokenHash),
            isNull(contentShares.revokedAt),
            gt(contentShares.expiresAt, sql`now()`),
          ),
        );
      return r
        ? { share: toShare(r.share), content: toContent(r.content), ownerStatus: r.ownerStatus }
        : null;
    },

    async scan(q) {
      const rows = await db
        .select()
        .from(content)
        .where(
          and(
            listWhere({ userId: q.userId, updatedSince: q.updatedSince }),
            q.afterId ? gt(content.id, q.afterId) : undefined,
          ),
        )
        .orderBy(asc(content.id))
        .limit(q.limit);
      return rows.map(toContent);
    },

    async countAll(q) {
      const [r] = await db
        .select({ n: count() })
        .from(content)
        .where(listWhere({ userId: q.userId, updatedSince: q.updatedSince }));
      return r?.n ?? 0;
    },
  };
}
