import { sql } from 'drizzle-orm';
import type { ProviderKind } from '../core/providers/connector.js';
import type { PinnedProvider } from '../core/tasks/taskService.js';
import type { CacheBus } from './cacheBus.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';
import { TtlCache } from './ttlCache.js';

/** How long the provider directory is kept (a safety net: provider and account writes invalidate it). */
export const PROVIDER_CACHE_TTL_MS = 60_000;

/**
 * A provider as an admin configured it, with its accounts: what changes only through the provider
 * API, the CLI or the environment bootstrap. Budgets (token counts) and health are not here: they
 * change with every task and are read fresh (models/routingStore.ts).
 */
export interface DirectoryProvider extends Record<string, unknown> {
  id: string;
  name: string;
  kind: ProviderKind;
  tier: 'primary' | 'secondary';
  status: 'active' | 'disabled';
  competencies: Record<string, number> | null;
  models: string[] | null;
  default_model: string | null;
  api_endpoint: string | null;
  cost_per_1k_input: number | string;
  cost_per_1k_output: number | string;
  timeout_ms: number;
  config: Record<string, unknown> | null;
  /** The provider's accounts, oldest first. */
  accounts: DirectoryAccount[];
}

export interface DirectoryAccount {
  id: string;
  account_name: string;
  status: 'active' | 'disabled';
  /** The owning team: only that team's tasks may use it. Null = everyone's. */
  team_id?: string | null;
  credentials: string | null;
}

export interface ProviderDirectory {
  /** Every provider, oldest first. */
  list(): Promise<DirectoryProvider[]>;
}

/** Every provider with its accounts, in one query (the columns the router and intake read). */
export const PROVIDER_COLUMNS = sql`
  p.id, p.name, p.kind, p.tier, p.status, p.competencies, p.models, p.default_model, p.api_endpoint,
  p.cost_per_1k_input, p.cost_per_1k_output, p.timeout_ms, p.config`;

/**
 * The provider directory, cached per process when a cache bus is given (invalidated by the
 * 'providers' notice the provider tables' triggers send at commit); read on every call otherwise.
 */
export function createProviderDirectory(db: Db, bus?: CacheBus): ProviderDirectory {
  const pool = poolOf(db);
  const cache = bus
    ? bus.cache<DirectoryProvider[]>('providers', PROVIDER_CACHE_TTL_MS)
    : new TtlCache<DirectoryProvider[]>('providers', 0);
  const load = () =>
    queryPrepared<DirectoryProvider>(
      pool,
      sql`
      SELECT ${PROVIDER_COLUMNS},
             coalesce((
               SELECT json_agg(json_build_object(
                        'id', a.id, 'account_name', a.account_name, 'status', a.status, 'team_id', a.team_id, 'credentials', a.credentials)
                      ORDER BY a.created_at, a.id)
               FROM provider_accounts a WHERE a.provider_id = p.id), '[]'::json) AS accounts
      FROM ai_providers p
      ORDER BY p.created_at, p.id`,
    );
  return {
    async list() {
      return (await cache.get('all', load, { tags: () => ['providers'] }))!;
    },
  };
}

/** A provider's name and models by id, or null (intake checks a pinned providerId and its model). */
export function createPinnedProviderLookup(
  directory: ProviderDirectory,
): (id: string) => Promise<PinnedProvider | null> {
  return async (id) => {
    const row = (await directory.list()).find((p) => p.id === id);
    return row
      ? {
          name: row.name,
          models: Array.isArray(row.models) ? row.models : [],
          defaultModel: row.default_model,
        }
      : null;
  };
}
