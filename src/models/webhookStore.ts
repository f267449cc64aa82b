import { randomBytes } from 'node:crypto';
import { and, count, desc, eq, sql, TransactionRollbackError } from 'drizzle-orm';
import type { DeliveryRecord, HookRecord, IdentityDirectory, WebhookStore } from '../core/webhooks/ports.js';
import type { Db } from './db.js';
import { aiProviders, chatIdentities, users, webhookDeliveries, webhooks } from './schema.js';

export function createWebhookStore(db: Db): WebhookStore {
  const toHook = (r: typeof webhooks.$inferSelect): HookRecord => r;
  const toDelivery = (r: typeof webhookDeliveries.$inferSelect): DeliveryRecord => r;
  return {
    async createHook(h) {
      const [r] = await db.insert(webhooks).values(h).returning();
      return toHook(r!);
    },
    async getHook(id) {
      const [r] = await db.select().from(webhooks).where(eq(webhooks.id, id));
      return r ? toHook(r) : null;
    },
    async listHooks({ page, limit }) {
      const [items, [t]] = await Promise.all([
        db
          .select()
          .from(webhooks)
          .orderBy(desc(webhooks.createdAt), desc(webhooks.id))
          .limit(limit)
          .offset((page - 1) * limit),
        db.select({ n: count() }).from(webhooks),
      ]);
      return { items: items.map(toHook), total: t?.n ?? 0 };
    },
    async deleteHook(id) {
      const r = await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
      return r.length > 0;
    },
    async rotateSecret(id, s) {
      const [r] = await db
        .update(webhooks)
        .set({
          secret: s.secret,
          previousSecret: s.previousSecret,
          previousSecretExpiresAt: s.previousSecretExpiresAt,
          updatedAt: new Date(),
        })
        .where(eq(webhooks.id, id))
        .returning();
      return r ? toHook(r) : null;
    },
    async recordDelivery(d) {
      const [r] = await db.insert(webhookDeliveries).values(d).returning();
      return toDelivery(r!);
    },
    async listDeliveries({ webhookId, taskId, page, limit }) {
      const where = and(
        webhookId ? eq(webhookDeliveries.webhookId, webhookId) : undefined,
        taskId ? eq(webhookDeliveries.taskId, taskId) : undefined,
      );
      const [items, [t]] = await Promise.all([
        db
          .select()
          .from(webhookDeliveries)
          .where(where)
          .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.attempt))
          .limit(limit)
          .offset((page - 1) * limit),
        db.select({ n: count() }).from(webhookDeliveries).where(where),
      ]);
      return { items: items.map(toDelivery), total: t?.n ?? 0 };
    },
  };
}

/**
 * GitHub senders as Switchyard users: the user linked to that identity (chat_identities, platform
 * 'github', keyed by the sender's numeric id), or else a guest user made once per identity
 * (is_guest, no password, no email) whose tasks follow the real user once the identity is linked.
 */
export function createIdentityDirectory(db: Db): IdentityDirectory {
  const find = async (platform: 'github', platformUserId: string) => {
    const [r] = await db
      .select({ userId: chatIdentities.userId, isGuest: users.isGuest })
      .from(chatIdentities)
      .innerJoin(users, eq(users.id, chatIdentities.userId))
      .where(
        and(
          eq(chatIdentities.platform, platform),
          eq(chatIdentities.workspaceId, ''),
          eq(chatIdentities.platformUserId, platformUserId),
        ),
      );
    return r ?? null;
  };
  return {
    async resolve({ platform, platformUserId, displayName }) {
      const existing = await find(platform, platformUserId);
      if (existing) return existing;
      // Two deliveries from a new sender may race: the unique keys make one of them win, and the
      // loser's half-made guest rolls back with its transaction.
      await db
        .transaction(async (tx) => {
          const [u] = await tx
            .insert(users)
            .values({
              username: `${platform}:${displayName.slice(0, 60)}:${randomBytes(4).toString('hex')}`,
              isGuest: true,
              role: 'user',
            })
            .returning({ id: users.id });
          const [i] = await tx
            .insert(chatIdentities)
            .values({ userId: u!.id, platform, workspaceId: '', platformUserId, displayName })
            .onConflictDoNothing()
            .returning({ id: chatIdentities.id });
          if (!i) tx.rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof TransactionRollbackError)) throw e;
        });
      const made = await find(platform, platformUserId);
      if (!made) throw new Error(`Could not resolve the ${platform} identity ${platformUserId}`);
      return made;
    },
    async providerIdByName(name) {
      const [r] = await db
        .select({ id: aiProviders.id })
        .from(aiProviders)
        .where(eq(sql`lower(${aiProviders.name})`, name.toLowerCase()));
      return r?.id ?? null;
    },
  };
}
