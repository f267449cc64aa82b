import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { aiProviders, providerAccounts } from './schema.js';

/** A generous budget for the built-in mock's default account: it costs nothing. */
export const MOCK_ACCOUNT_TOKEN_LIMIT = 1_000_000_000_000;
const MOCK_COMPETENCY = 0.5;
const LOCK_KEY = 872341002;

/**
 * Start-up: with the mock provider on (MOCK_PROVIDER, or no real AI key), make sure an active
 * `mock` provider named "Mock" exists with a competency for every task type, tier primary, and a
 * default account. Its answers stream at `tokensPerSecond` (MOCK_TOKENS_PER_SECOND). With it off, a mock that start-up had switched on is switched off again (one an
 * admin configured by hand is left alone). Safe with several processes booting at once.
 */
export async function ensureMockProvider(
  db: Db,
  opts: { enabled: boolean; taskTypes: string[]; tokensPerSecond?: number },
): Promise<{ providerId: string | null; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    const [existing] = await tx
      .select()
      .from(aiProviders)
      .where(eq(aiProviders.kind, 'mock'))
      .orderBy(asc(aiProviders.createdAt))
      .limit(1);

    if (!opts.enabled) {
      if (existing && existing.status === 'active' && existing.config?.managedByEnv === true) {
        await tx
          .update(aiProviders)
          .set({
            status: 'disabled',
            config: { ...existing.config, disabledByEnv: true },
            updatedAt: sql`now()`,
          })
          .where(eq(aiProviders.id, existing.id));
      }
      return { providerId: existing?.id ?? null, created: false };
    }

    let providerId: string;
    let created = false;
    if (!existing) {
      const competencies = Object.fromEntries(opts.taskTypes.map((t) => [t, MOCK_COMPETENCY]));
      const [row] = await tx
        .insert(aiProviders)
        .values({
          name: 'Mock',
          kind: 'mock',
          authType: 'none',
          competencies,
          status: 'active',
          tier: 'primary',
          models: ['mock-1'],
          defaultModel: 'mock-1',
          timeoutMs: 60_000,
          config: { latencyMs: 0, tokensPerSecond: opts.tokensPerSecond ?? 0, managedByEnv: true },
        })
        .onConflictDoNothing()
        .returning({ id: aiProviders.id });
      if (!row) {
        // Another provider is already called "Mock" (any case): use it only if it is a mock.
        const [named] = await tx
          .select({ id: aiProviders.id, kind: aiProviders.kind })
          .from(aiProviders)
          .where(sql`lower(${aiProviders.name}) = 'mock'`);
        if (named?.kind !== 'mock') return { providerId: null, created: false };
        providerId = named.id;
      } else {
        providerId = row.id;
        created = true;
      }
    } else {
      providerId = existing.id;
      // New task types get a competency; an admin's own values are kept.
      const missing = opts.taskTypes.filter((t) => existing.competencies?.[t] === undefined);
      const reenable = existing.status === 'disabled' && existing.config?.disabledByEnv === true;
      // The pace of a mock start-up created follows MOCK_TOKENS_PER_SECOND.
      const pace =
        existing.config?.managedByEnv === true &&
        opts.tokensPerSecond !== undefined &&
        existing.config.tokensPerSecond !== opts.tokensPerSecond;
      if (missing.length || reenable || pace) {
        const { disabledByEnv: _dropped, ...rest } = existing.config ?? {};
        const config = pace ? { ...rest, tokensPerSecond: opts.tokensPerSecond } : rest;
        await tx
          .update(aiProviders)
          .set({
            competencies: {
              ...existing.competencies,
              ...Object.fromEntries(missing.map((t) => [t, MOCK_COMPETENCY])),
            },
            ...(reenable ? { status: 'active' as const } : {}),
            ...(reenable || pace ? { config } : {}),
            updatedAt: sql`now()`,
          })
          .where(eq(aiProviders.id, existing.id));
      }
    }

    const [account] = await tx
      .select({ id: providerAccounts.id })
      .from(providerAccounts)
      .where(and(eq(providerAccounts.providerId, providerId)))
      .limit(1);
    if (!account) {
      await tx.insert(providerAccounts).values({
        providerId,
        accountName: 'default',
        credentials: null,
        tokenLimit: MOCK_ACCOUNT_TOKEN_LIMIT,
        resetPeriod: 'none',
      });
    }
    return { providerId, created };
  });
}
