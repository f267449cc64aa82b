import { and, count, desc, eq, gt, ilike, isNull, ne, or, sql } from 'drizzle-orm';
import type { AuthStore, SessionRecord, UserRecord } from '../core/auth/authService.js';
import type { Db } from './db.js';
import { apiTokens, refreshTokens, sessions, users } from './schema.js';
import { oneSnapshot } from './snapshot.js';

const lower = (c: typeof users.username | typeof users.email) => sql`lower(${c})`;

export function createAuthStore(db: Db): AuthStore {
  const toUser = (r: typeof users.$inferSelect): UserRecord => r;
  const toSession = (r: typeof sessions.$inferSelect): SessionRecord => ({
    id: r.id,
    userId: r.userId,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
  });

  return {
    async findUserById(id) {
      const [r] = await db.select().from(users).where(eq(users.id, id));
      return r ? toUser(r) : null;
    },
    async findUserByLogin({ username, email }) {
      const cond =
        username !== undefined
          ? eq(lower(users.username), username.toLowerCase())
          : eq(lower(users.email), (email ?? '').toLowerCase());
      const [r] = await db.select().from(users).where(cond);
      return r ? toUser(r) : null;
    },
    async findUserConflict(username, email, exceptId) {
      const conds = [];
      if (username) conds.push(eq(lower(users.username), username.toLowerCase()));
      if (email) conds.push(eq(lower(users.email), email.toLowerCase()));
      if (!conds.length) return null;
      const rows = await db
        .select({ username: users.username, email: users.email })
        .from(users)
        .where(and(or(...conds), exceptId ? ne(users.id, exceptId) : undefined));
      for (const r of rows) {
        if (username && r.username.toLowerCase() === username.toLowerCase()) return 'username';
      }
      return rows.length ? 'email' : null;
    },
    async createUser(u) {
      const [r] = await db
        .insert(users)
        .values({
          username: u.username,
          email: u.email,
          passwordHash: u.passwordHash,
          role: u.role,
          isGuest: u.isGuest ?? false,
        })
        .returning();
      return toUser(r!);
    },
    async updateUser(id, patch) {
      const [r] = await db
        .update(users)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning();
      return r ? toUser(r) : null;
    },
    async countAdmins() {
      const [r] = await db.select({ n: count() }).from(users).where(eq(users.role, 'admin'));
      return r?.n ?? 0;
    },
    async listUsers({ q, page, limit }) {
      const where = and(
        eq(users.isGuest, false),
        q ? or(ilike(users.username, `%${q}%`), ilike(users.email, `%${q}%`)) : undefined,
      );
      const [items, [t]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(users)
          .where(where)
          .orderBy(desc(users.createdAt))
          .limit(limit)
          .offset((page - 1) * limit),
        await tx.select({ n: count() }).from(users).where(where),
      ]);
      return { items: items.map(toUser), total: t?.n ?? 0 };
    },

    async createSession(s) {
      return db.transaction(async (tx) => {
        const [r] = await tx
          .insert(sessions)
          .values({
            userId: s.userId,
            expiresAt: s.expiresAt,
            ip: s.ip ?? null,
            userAgent: s.userAgent?.slice(0, 500) ?? null,
          })
          .returning();
        await tx
          .insert(refreshTokens)
          .values({ sessionId: r!.id, tokenHash: s.refreshTokenHash, expiresAt: s.expiresAt });
        return toSession(r!);
      });
    },
    async findSession(id) {
      const [r] = await db.select().from(sessions).where(eq(sessions.id, id));
      return r ? toSession(r) : null;
    },
    async revokeSession(id, reason) {
      await db
        .update(sessions)
        .set({ revokedAt: new Date(), revokedReason: reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
    },
    async revokeUserSessions(userId, reason) {
      await db
        .update(sessions)
        .set({ revokedAt: new Date(), revokedReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
    },
    async updateUserRevokingAccess(id, patch, revoke) {
      return db.transaction(async (tx) => {
        const now = new Date();
        const [r] = await tx
          .update(users)
          .set({ ...patch, updatedAt: now })
          .where(eq(users.id, id))
          .returning();
        if (!r) return null;
        const endedSessions = revoke.sessions
          ? await tx
              .update(sessions)
              .set({ revokedAt: now, revokedReason: revoke.reason })
              .where(
                and(
                  eq(sessions.userId, id),
                  isNull(sessions.revokedAt),
                  gt(sessions.expiresAt, now),
                  revoke.exceptSessionId ? ne(sessions.id, revoke.exceptSessionId) : undefined,
                ),
              )
              .returning({ id: sessions.id })
          : [];
        const endedTokens = revoke.apiTokens
          ? await tx
              .update(apiTokens)
              .set({ revokedAt: now })
              .where(
                and(
                  eq(apiTokens.userId, id),
                  isNull(apiTokens.revokedAt),
                  or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
                  revoke.exceptApiTokenId ? ne(apiTokens.id, revoke.exceptApiTokenId) : undefined,
                ),
              )
              .returning({ id: apiTokens.id })
          : [];
        return {
          user: toUser(r),
          sessionsRevoked: endedSessions.length,
          apiTokensRevoked: endedTokens.length,
        };
      });
    },
    async rotateRefreshToken(oldHash, newHash, expiresAt) {
      return db.transaction(async (tx) => {
        // Spend the token in one statement; only one concurrent caller can win.
        const [spent] = await tx
          .update(refreshTokens)
          .set({ spentAt: new Date() })
          .where(
            and(
              eq(refreshTokens.tokenHash, oldHash),
              isNull(refreshTokens.spentAt),
              gt(refreshTokens.expiresAt, new Date()),
            ),
          )
          .returning({ sessionId: refreshTokens.sessionId });
        if (!spent) {
          const [existing] = await tx
            .select({ spentAt: refreshTokens.spentAt })
            .from(refreshTokens)
            .where(eq(refreshTokens.tokenHash, oldHash));
          return existing?.spentAt ? ('reused' as const) : null;
        }
        const [s] = await tx.select().from(sessions).where(eq(sessions.id, spent.sessionId));
        if (!s || s.revokedAt || s.expiresAt < new Date()) return null;
        await tx.insert(refreshTokens).values({ sessionId: s.id, tokenHash: newHash, expiresAt });
        await tx.update(sessions).set({ lastUsedAt: new Date(), expiresAt }).where(eq(sessions.id, s.id));
        return { session: toSession(s) };
      });
    },
    async findRefreshSession(hash) {
      const [r] = await db
        .select({ s: sessions })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(eq(refreshTokens.tokenHash, hash));
      return r ? toSession(r.s) : null;
    },

    async createApiToken(t) {
      const [r] = await db.insert(apiTokens).values(t).returning();
      return r!;
    },
    async listApiTokens(userId) {
      return db
        .select()
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .orderBy(desc(apiTokens.createdAt));
    },
    async revokeApiToken(userId, id) {
      const r = await db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      return r.length > 0;
    },
    async useApiToken(hash) {
      const [r] = await db
        .update(apiTokens)
        .set({ lastUsedAt: new Date() })
        .where(
          and(
            eq(apiTokens.tokenHash, hash),
            isNull(apiTokens.revokedAt),
            or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())),
          ),
        )
        .returning();
      return r ?? null;
    },
  };
}
