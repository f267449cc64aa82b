import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { DeliveryRecord, HookRecord, IdentityDirectory, WebhookStore } from '../core/webhooks/ports.js';
import type { Db } from './db.js';
import { findOrCreateGuestForIdentity } from './guestUsers.js';
import { aiProviders, webhookDeliveries, webhooks } from './schema.js';

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
 * 'github', keyed by the sender's numeric id), or else a guest made once per identity, the same way
 * as for chat users (guestUsers.ts), whose tasks follow the real user once the identity is linked.
 */
export function createIdentityDirectory(db: Db): IdentityDirectory {
  return {
    async resolve({ platform, platformUserId, displayName }) {
      const identity = await findOrCreateGuestForIdentity(db, {
        platform,
        workspaceId: '',
        platformUserId,
        displayName,
      });
      return { userId: identity.user.id, isGuest: identity.user.isGuest };
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
