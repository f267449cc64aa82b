import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { GithubIdentityDirectory, IntakeLedger, IntakeUsers } from '../core/webhooks/intakePorts.js';
import type { DeliveryRecord, HookRecord, WebhookStore } from '../core/webhooks/ports.js';
import type { Db } from './db.js';
import { findIdentity, findOrCreateGuestForIdentity } from './guestUsers.js';
import { aiProviders, inboundDeliveries, users, webhookDeliveries, webhooks } from './schema.js';
import { oneSnapshot } from './snapshot.js';

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
    async listHooks({ page, limit, teamId }) {
      const where = teamId ? eq(webhooks.teamId, teamId) : undefined;
      const [items, [t]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(webhooks)
          .where(where)
          .orderBy(desc(webhooks.createdAt), desc(webhooks.id))
          .limit(limit)
          .offset((page - 1) * limit),
        await tx.select({ n: count() }).from(webhooks).where(where),
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
      const [items, [t]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select()
          .from(webhookDeliveries)
          .where(where)
          .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.attempt))
          .limit(limit)
          .offset((page - 1) * limit),
        await tx.select({ n: count() }).from(webhookDeliveries).where(where),
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
export function createIdentityDirectory(db: Db): GithubIdentityDirectory {
  return {
    async resolve({ platform, platformUserId, displayName }) {
      const identity = await findOrCreateGuestForIdentity(db, {
        platform,
        workspaceId: '',
        platformUserId,
        displayName,
      });
      const u = identity.user;
      return { userId: u.id, isGuest: u.isGuest, status: u.status };
    },
    async find({ platform, platformUserId }) {
      const identity = await findIdentity(db, { platform, workspaceId: '', platformUserId });
      const u = identity?.user;
      return u ? { userId: u.id, isGuest: u.isGuest, status: u.status } : null;
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

/** Users as intake checks them (suspended? still an admin?). */
export function createIntakeUsers(db: Db): IntakeUsers {
  return {
    async get(id) {
      const [r] = await db
        .select({ id: users.id, status: users.status, role: users.role, isGuest: users.isGuest })
        .from(users)
        .where(eq(users.id, id));
      return r ?? null;
    },
  };
}

/**
 * Extra keys in inbound_deliveries (see IntakeLedger). An unsettled claim (no task, no response)
 * is the mark of a request in flight; one older than a minute was left by a crash and is taken over.
 */
export function createIntakeLedger(db: Db): IntakeLedger {
  const where = (source: string, deliveryId: string) =>
    and(eq(inboundDeliveries.source, source), eq(inboundDeliveries.deliveryId, deliveryId));
  return {
    async claim(source, deliveryId, opts = {}) {
      const d = inboundDeliveries;
      const expired = opts.windowSeconds
        ? sql`${d.receivedAt} < now() - make_interval(secs => ${opts.windowSeconds}::double precision)`
        : sql`false`;
      const claimed = await db
        .insert(d)
        .values({ source, deliveryId })
        .onConflictDoUpdate({
          target: [d.source, d.deliveryId],
          set: { receivedAt: sql`now()`, taskId: null, response: null },
          setWhere: sql`${expired} OR (${d.taskId} IS NULL AND ${d.response} IS NULL AND ${d.receivedAt} < now() - interval '60 seconds')`,
        })
        .returning({ id: d.id });
      if (claimed.length) return { claimed: true };
      const [seen] = await db
        .select({ taskId: d.taskId, response: d.response })
        .from(d)
        .where(where(source, deliveryId));
      return { claimed: false, taskId: seen?.taskId ?? null, response: seen?.response ?? null };
    },
    async settle(source, deliveryId, outcome) {
      await db
        .update(inboundDeliveries)
        .set({ taskId: outcome.taskId ?? null, response: outcome.response })
        .where(where(source, deliveryId));
    },
    async release(source, deliveryId) {
      await db
        .delete(inboundDeliveries)
        .where(
          and(
            where(source, deliveryId),
            sql`${inboundDeliveries.taskId} IS NULL AND ${inboundDeliveries.response} IS NULL`,
          ),
        );
    },
  };
}
