import { and, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm';
import type { IdentityKey } from '../core/linking/identity.js';
import type { LinkedIdentity, LinkStore, RedeemOutcome } from '../core/linking/linkService.js';
import type { Db } from './db.js';
import { identityWhere } from './guestUsers.js';
import { chatIdentities, content, contentShares, linkCodes, tasks, users } from './schema.js';

const toLinked = (r: typeof chatIdentities.$inferSelect): LinkedIdentity => ({
  id: r.id,
  platform: r.platform,
  workspaceId: r.workspaceId,
  platformUserId: r.platformUserId,
  displayName: r.displayName,
  linkedAt: r.linkedAt,
});

/** Link codes (hashed, single use) and the identities they claim. */
export function createLinkStore(db: Db): LinkStore {
  return {
    async createCode(userId, codeHash, expiresAt) {
      await db.insert(linkCodes).values({ userId, codeHash, expiresAt });
      // Spent and long-expired codes are of no further use.
      await db
        .delete(linkCodes)
        .where(and(eq(linkCodes.userId, userId), sql`${linkCodes.expiresAt} < now() - interval '1 day'`));
    },

    async redeem(codeHash, key, now) {
      return db.transaction(async (tx) => {
        // Spend it atomically: of two concurrent redemptions only one gets the row.
        const [spent] = await tx
          .update(linkCodes)
          .set({ usedAt: now })
          .where(
            and(eq(linkCodes.codeHash, codeHash), isNull(linkCodes.usedAt), gt(linkCodes.expiresAt, now)),
          )
          .returning({ userId: linkCodes.userId });
        if (!spent) {
          const [row] = await tx
            .select({ usedAt: linkCodes.usedAt })
            .from(linkCodes)
            .where(eq(linkCodes.codeHash, codeHash));
          return {
            ok: false as const,
            reason: !row ? ('unknown' as const) : row.usedAt ? ('used' as const) : ('expired' as const),
          };
        }
        const [user] = await tx
          .select({ id: users.id, username: users.username, status: users.status, isGuest: users.isGuest })
          .from(users)
          .where(eq(users.id, spent.userId));
        if (user?.status !== 'active' || user.isGuest)
          return { ok: false as const, reason: 'suspended' as const };

        return claimIdentity(tx, user, key, now);
      });
    },

    async claim(userId, key, now) {
      return db.transaction(async (tx) => {
        const [user] = await tx
          .select({ id: users.id, username: users.username, status: users.status, isGuest: users.isGuest })
          .from(users)
          .where(eq(users.id, userId));
        if (user?.status !== 'active' || user.isGuest)
          return { ok: false as const, reason: 'suspended' as const };
        return claimIdentity(tx, user, key, now);
      });
    },

    async listLinked(userId) {
      const rows = await db
        .select()
        .from(chatIdentities)
        .where(and(eq(chatIdentities.userId, userId), isNotNull(chatIdentities.linkedAt)))
        .orderBy(chatIdentities.linkedAt);
      return rows.map(toLinked);
    },

    async unlink(userId, identityId) {
      const [r] = await db
        .delete(chatIdentities)
        .where(
          and(
            eq(chatIdentities.id, identityId),
            eq(chatIdentities.userId, userId),
            isNotNull(chatIdentities.linkedAt),
          ),
        )
        .returning();
      return r ? toLinked(r) : null;
    },
  };
}

/**
 * Moves everything a guest made (tasks, their content and share links) to the account that
 * linked the guest's chat identity. Used until the tasks area offers TaskCommands.reassignUser.
 */
export function createGuestWorkMover(db: Db) {
  return {
    async reassignUser(fromUserId: string, toUserId: string): Promise<number> {
      return db.transaction(async (tx) => {
        const moved = await tx
          .update(tasks)
          .set({ userId: toUserId, updatedAt: new Date() })
          .where(eq(tasks.userId, fromUserId))
          .returning({ id: tasks.id });
        await tx.update(content).set({ userId: toUserId }).where(eq(content.userId, fromUserId));
        await tx.update(contentShares).set({ userId: toUserId }).where(eq(contentShares.userId, fromUserId));
        return moved.length;
      });
    },
  };
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Points a chat identity at an active, non-guest user (creating it if new), marking it linked. */
async function claimIdentity(
  tx: Tx,
  user: { id: string; username: string },
  key: IdentityKey,
  now: Date,
): Promise<RedeemOutcome> {
  const [existing] = await tx
    .select({
      id: chatIdentities.id,
      userId: chatIdentities.userId,
      linkedAt: chatIdentities.linkedAt,
      isGuest: users.isGuest,
    })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(identityWhere(key))
    .for('update', { of: chatIdentities });
  if (existing) {
    await tx
      .update(chatIdentities)
      .set({
        userId: user.id,
        linkedAt: existing.userId === user.id && existing.linkedAt ? existing.linkedAt : now,
        ...(key.displayName ? { displayName: key.displayName } : {}),
      })
      .where(eq(chatIdentities.id, existing.id));
    return {
      ok: true as const,
      identityId: existing.id,
      user: { id: user.id, username: user.username },
      previous: { userId: existing.userId, isGuest: existing.isGuest },
    };
  }
  const [created] = await tx
    .insert(chatIdentities)
    .values({
      userId: user.id,
      platform: key.platform,
      workspaceId: key.workspaceId,
      platformUserId: key.platformUserId,
      displayName: key.displayName ?? null,
      linkedAt: now,
    })
    .onConflictDoUpdate({
      target: [chatIdentities.platform, chatIdentities.workspaceId, chatIdentities.platformUserId],
      set: { userId: user.id, linkedAt: now },
    })
    .returning({ id: chatIdentities.id });
  return {
    ok: true as const,
    identityId: created!.id,
    user: { id: user.id, username: user.username },
    previous: null,
  };
}
