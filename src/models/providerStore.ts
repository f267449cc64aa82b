import { and, asc, eq, sql } from 'drizzle-orm';
import type {
  AccountRecord,
  HealthRecord,
  ProviderRecord,
  ProviderStore,
} from '../core/providers/providerService.js';
import type { Db } from './db.js';
import { providerStats } from './routingStore.js';
import { aiProviders, providerAccounts, providerHealth } from './schema.js';

type ProviderRow = typeof aiProviders.$inferSelect;
type AccountRow = typeof providerAccounts.$inferSelect;

function toProvider(r: ProviderRow): ProviderRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    apiEndpoint: r.apiEndpoint,
    authType: r.authType,
    competencies: r.competencies ?? {},
    status: r.status,
    tier: r.tier,
    models: r.models ?? [],
    defaultModel: r.defaultModel,
    costPer1kInput: r.costPer1kInput,
    costPer1kOutput: r.costPer1kOutput,
    timeoutMs: r.timeoutMs,
    config: r.config ?? {},
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toAccount(r: AccountRow): AccountRecord {
  return {
    id: r.id,
    providerId: r.providerId,
    accountName: r.accountName,
    tokenLimit: r.tokenLimit,
    tokenUsed: r.tokenUsed,
    tokenReserved: r.tokenReserved,
    resetPeriod: r.resetPeriod,
    resetDate: r.resetDate,
    lastResetAt: r.lastResetAt,
    status: r.status,
    teamId: r.teamId ?? null,
    hasCredentials: Boolean(r.credentials),
    credentialsKeyId: r.credentials ? (r.credentials.split('.')[1] ?? null) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const isUniqueViolation = (e: unknown) => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
};

export function createProviderStore(db: Db, opts: { statsWindowSeconds: number }): ProviderStore {
  return {
    async list() {
      const rows = await db
        .select()
        .from(aiProviders)
        .orderBy(asc(aiProviders.createdAt), asc(aiProviders.id));
      return rows.map(toProvider);
    },

    async get(id) {
      const [r] = await db.select().from(aiProviders).where(eq(aiProviders.id, id));
      return r ? toProvider(r) : null;
    },

    async insert(p) {
      try {
        const [r] = await db.insert(aiProviders).values(p).returning();
        return toProvider(r!);
      } catch (e) {
        if (isUniqueViolation(e)) return null;
        throw e;
      }
    },

    async update(id, patch) {
      try {
        const [r] = await db
          .update(aiProviders)
          .set({ ...patch, updatedAt: sql`now()` })
          .where(eq(aiProviders.id, id))
          .returning();
        return r ? toProvider(r) : null;
      } catch (e) {
        if (isUniqueViolation(e)) return 'name_taken';
        throw e;
      }
    },

    async delete(id) {
      const rows = await db
        .delete(aiProviders)
        .where(eq(aiProviders.id, id))
        .returning({ id: aiProviders.id });
      return rows.length > 0;
    },

    async accounts(providerId) {
      const rows = await db
        .select()
        .from(providerAccounts)
        .where(eq(providerAccounts.providerId, providerId))
        .orderBy(asc(providerAccounts.createdAt), asc(providerAccounts.id));
      return rows.map(toAccount);
    },

    async account(providerId, accountId) {
      const [r] = await db
        .select()
        .from(providerAccounts)
        .where(and(eq(providerAccounts.providerId, providerId), eq(providerAccounts.id, accountId)));
      return r ? toAccount(r) : null;
    },

    async sealedCredentials(accountId) {
      const [r] = await db
        .select({ c: providerAccounts.credentials })
        .from(providerAccounts)
        .where(eq(providerAccounts.id, accountId));
      return r?.c ?? null;
    },

    async insertAccount(a) {
      const [r] = await db.insert(providerAccounts).values(a).returning();
      return toAccount(r!);
    },

    async updateAccount(providerId, accountId, patch) {
      const { resetUsage, ...rest } = patch;
      const [r] = await db
        .update(providerAccounts)
        .set({
          ...rest,
          ...(resetUsage ? { tokenUsed: 0, lastResetAt: sql`now()` } : {}),
          updatedAt: sql`now()`,
        })
        .where(and(eq(providerAccounts.providerId, providerId), eq(providerAccounts.id, accountId)))
        .returning();
      return r ? toAccount(r) : null;
    },

    async deleteAccount(providerId, accountId) {
      const rows = await db
        .delete(providerAccounts)
        .where(and(eq(providerAccounts.providerId, providerId), eq(providerAccounts.id, accountId)))
        .returning({ id: providerAccounts.id });
      return rows.length > 0;
    },

    async health(providerId) {
      const [h] = await db.select().from(providerHealth).where(eq(providerHealth.providerId, providerId));
      if (!h) return null;
      const out: HealthRecord = {
        circuit: h.circuit,
        consecutiveFailures: h.consecutiveFailures,
        openedAt: h.openedAt,
        lastError: h.lastError,
        lastErrorAt: h.lastErrorAt,
        lastCheckedAt: h.lastCheckedAt,
      };
      return out;
    },

    async stats(providerId) {
      const m = await providerStats(db, opts.statsWindowSeconds, providerId);
      return m.get(providerId) ?? { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 };
    },

    async markChecked(providerId, ok, error) {
      await db.execute(sql`
        INSERT INTO provider_health AS h (provider_id, circuit, consecutive_failures, last_error, last_error_at, last_checked_at, updated_at)
        VALUES (${providerId}, 'closed', 0, ${ok ? null : (error ?? 'test failed').slice(0, 500)}::text, ${ok ? null : sql`now()`}, now(), now())
        ON CONFLICT (provider_id) DO UPDATE SET
          ${
            ok
              ? sql`circuit = 'closed', consecutive_failures = 0, updated_at = CASE WHEN h.circuit = 'closed' THEN h.updated_at ELSE now() END,`
              : sql`last_error = EXCLUDED.last_error, last_error_at = now(),`
          }
          last_checked_at = now()`);
    },
  };
}
