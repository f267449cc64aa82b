import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { nextReset, type ResetPeriod } from '../core/budgets/resetSchedule.js';
import type { SecretBox } from '../core/crypto/secretBox.js';
import type { CatalogueEntry } from '../core/providers/providerService.js';
import type { Db } from './db.js';
import { aiProviders, providerAccounts } from './schema.js';

const LOCK_KEY = 872341003;
const ENV_ACCOUNT = 'default (from environment)';

export interface EnvProvider {
  kind: 'openai' | 'anthropic' | 'xai' | 'manus';
  apiKey: string;
  baseUrl?: string;
  defaults: CatalogueEntry & { defaultTokenLimit: number; resetPeriod: ResetPeriod };
}

/**
 * Start-up: a provider key in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, XAI_API_KEY,
 * MANUS_API_KEY, with their *_BASE_URL) creates that provider with the catalogue's defaults and a
 * default account holding the key (sealed), when no provider of that kind exists. A provider that
 * start-up created earlier (config.managedByEnv) follows the environment: a changed key or base URL
 * is written to it. One an admin created by hand is left alone. Safe with several processes booting.
 */
export async function ensureEnvProviders(
  db: Db,
  box: SecretBox,
  entries: EnvProvider[],
  opts: { taskTypes: string[]; now?: Date },
): Promise<
  Array<{ kind: string; providerId: string; action: 'created' | 'updated' | 'unchanged' | 'skipped' }>
> {
  if (entries.length === 0) return [];
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    const out: Array<{
      kind: string;
      providerId: string;
      action: 'created' | 'updated' | 'unchanged' | 'skipped';
    }> = [];
    for (const e of entries) {
      const existing = await tx
        .select()
        .from(aiProviders)
        .where(eq(aiProviders.kind, e.kind))
        .orderBy(asc(aiProviders.createdAt));
      const managed = existing.find((p) => p.config?.managedByEnv === true);
      if (!managed && existing.length > 0) {
        out.push({ kind: e.kind, providerId: existing[0]!.id, action: 'skipped' });
        continue;
      }
      const competencies = Object.fromEntries(
        opts.taskTypes.map((t) => [t, e.defaults.competencies[t] ?? 0.5]),
      );
      let providerId: string;
      let action: 'created' | 'updated' | 'unchanged' = 'unchanged';
      if (!managed) {
        const taken = await tx.execute(
          sql`SELECT 1 FROM ai_providers WHERE lower(name) = lower(${e.defaults.name})`,
        );
        const [row] = await tx
          .insert(aiProviders)
          .values({
            name: taken.rows.length ? `${e.defaults.name} (${e.kind})` : e.defaults.name,
            kind: e.kind,
            apiEndpoint: e.baseUrl ?? null,
            authType: e.defaults.authType,
            competencies,
            status: 'active',
            tier: e.defaults.tier,
            models: e.defaults.models,
            defaultModel: e.defaults.defaultModel || null,
            costPer1kInput: e.defaults.costPer1kInput,
            costPer1kOutput: e.defaults.costPer1kOutput,
            timeoutMs: e.defaults.timeoutMs,
            config: { ...(e.defaults.config ?? {}), managedByEnv: true },
          })
          .returning({ id: aiProviders.id });
        providerId = row!.id;
        action = 'created';
      } else {
        providerId = managed.id;
        if ((managed.apiEndpoint ?? null) !== (e.baseUrl ?? null)) {
          await tx
            .update(aiProviders)
            .set({ apiEndpoint: e.baseUrl ?? null, updatedAt: sql`now()` })
            .where(eq(aiProviders.id, providerId));
          action = 'updated';
        }
      }

      const [account] = await tx
        .select()
        .from(providerAccounts)
        .where(
          and(eq(providerAccounts.providerId, providerId), eq(providerAccounts.accountName, ENV_ACCOUNT)),
        );
      if (!account) {
        const id = randomUUID();
        await tx.insert(providerAccounts).values({
          id,
          providerId,
          accountName: ENV_ACCOUNT,
          credentials: box.encryptJson({ apiKey: e.apiKey }, id),
          tokenLimit: e.defaults.defaultTokenLimit,
          resetPeriod: e.defaults.resetPeriod,
          resetDate: nextReset(e.defaults.resetPeriod, now),
        });
        if (action === 'unchanged') action = 'updated';
      } else {
        let current: string | undefined;
        try {
          current = account.credentials
            ? box.decryptJson<{ apiKey?: string }>(account.credentials, account.id).apiKey
            : undefined;
        } catch {
          current = undefined; // sealed with a key we no longer hold: replace it
        }
        if (current !== e.apiKey || (account.credentials && box.needsRotation(account.credentials))) {
          await tx
            .update(providerAccounts)
            .set({ credentials: box.encryptJson({ apiKey: e.apiKey }, account.id), updatedAt: sql`now()` })
            .where(eq(providerAccounts.id, account.id));
          if (action === 'unchanged') action = 'updated';
        }
      }
      out.push({ kind: e.kind, providerId, action });
    }
    return out;
  });
}
