import { and, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import { conflict } from '../core/errors.js';
import type { IdentityRecord, SsoStore } from '../core/sso/types.js';
import type { Db } from './db.js';
import { identities, ssoFlows, users } from './schema.js';

const toIdentity = (r: typeof identities.$inferSelect): IdentityRecord => ({
  id: r.id,
  userId: r.userId,
  provider: r.provider,
  subject: r.subject,
  email: r.email,
  emailVerified: r.emailVerified,
  displayName: r.displayName,
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt,
});

/** Sign-in identities and sign-ins in progress (src/core/sso). */
export function createSsoStore(db: Db): SsoStore {
  return {
    async createFlow(f) {
      await db.insert(ssoFlows).values(f);
      // Abandoned sign-ins are of no further use.
      await db.delete(ssoFlows).where(lt(ssoFlows.expiresAt, sql`now() - interval '1 hour'`));
    },

    async consumeFlow(stateHash, now) {
      // Spend it atomically: of two callbacks with the same state only one gets the row.
      const [r] = await db
        .update(ssoFlows)
        .set({ usedAt: now })
        .where(and(eq(ssoFlows.stateHash, stateHash), isNull(ssoFlows.usedAt), gt(ssoFlows.expiresAt, now)))
        .returning();
      if (!r) return null;
      return {
        id: r.id,
        provider: r.provider,
        browserHash: r.browserHash,
        codeVerifier: r.codeVerifier,
        nonce: r.nonce,
        next: r.next,
        linkUserId: r.linkUserId,
      };
    },

    async setExchange(flowId, exchangeHash, userId, expiresAt) {
      await db.update(ssoFlows).set({ exchangeHash, userId, expiresAt }).where(eq(ssoFlows.id, flowId));
    },

    async consumeExchange(exchangeHash, now) {
      const [r] = await db
        .delete(ssoFlows)
        .where(and(eq(ssoFlows.exchangeHash, exchangeHash), gt(ssoFlows.expiresAt, now)))
        .returning({ userId: ssoFlows.userId });
      return r?.userId ?? null;
    },

    async findIdentity(provider, subject) {
      const [r] = await db
        .select()
        .from(identities)
        .where(and(eq(identities.provider, provider), eq(identities.subject, subject)));
      return r ? toIdentity(r) : null;
    },

    async createIdentity(i) {
      try {
        const [r] = await db
          .insert(identities)
          .values({ ...i, lastUsedAt: new Date() })
          .returning();
        return toIdentity(r!);
      } catch (e) {
        // Two callbacks for the same new identity at once: the second finds it taken.
        const err = e as { code?: string; cause?: { code?: string } };
        if ((err.code ?? err.cause?.code) === '23505')
          throw conflict('This identity was linked to an account a moment ago; sign in again');
        throw e;
      }
    },

    async touchIdentity(id, patch) {
      await db
        .update(identities)
        .set({ ...patch, lastUsedAt: new Date() })
        .where(eq(identities.id, id));
    },

    async listIdentities(userId) {
      const rows = await db
        .select()
        .from(identities)
        .where(eq(identities.userId, userId))
        .orderBy(identities.createdAt);
      return rows.map(toIdentity);
    },

    async deleteIdentity(userId, id, opts) {
      return db.transaction(async (tx) => {
        // Lock the user so that two removals cannot both see "another way left".
        const [u] = await tx
          .select({ passwordHash: users.passwordHash })
          .from(users)
          .where(eq(users.id, userId))
          .for('update');
        const [mine] = await tx
          .select({ id: identities.id })
          .from(identities)
          .where(and(eq(identities.id, id), eq(identities.userId, userId)));
        if (!u || !mine) return 'not_found' as const;
        const [others] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(identities)
          .where(and(eq(identities.userId, userId), ne(identities.id, id)));
        const hasPassword = opts.passwordCounts && u.passwordHash !== null;
        if (!hasPassword && (others?.n ?? 0) === 0) return 'last' as const;
        await tx.delete(identities).where(eq(identities.id, id));
        return 'removed' as const;
      });
    },
  };
}
