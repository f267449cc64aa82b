import { sql } from 'drizzle-orm';
import {
  type SettingKey,
  type Settings,
  type SettingsStore,
  settingDefaults,
} from '../core/settings/settings.js';
import type { CacheBus } from './cacheBus.js';
import type { Db } from './db.js';
import { settings } from './schema.js';
import { TtlCache } from './ttlCache.js';

/** How long settings are kept when a cache bus invalidates them (a safety net; writes invalidate). */
export const SETTINGS_CACHE_TTL_MS = 60_000;

/**
 * Admin settings. Intake reads them on every request (the default priority, chat rate limits), so
 * they are cached. With a cache bus they are kept for SETTINGS_CACHE_TTL_MS and a change made by any
 * process is seen as soon as its notice arrives; without one, for `ttlMs` (default 2 s; 0 = never
 * cached). A change made through this store is seen at once by this process either way.
 */
export function createSettingsStore(db: Db, opts: { ttlMs?: number; cache?: CacheBus } = {}): SettingsStore {
  const cache = opts.cache
    ? opts.cache.cache<Settings>('settings', SETTINGS_CACHE_TTL_MS)
    : new TtlCache<Settings>('settings', opts.ttlMs ?? 2000);

  async function load(): Promise<Settings> {
    const rows = await db.select().from(settings);
    const out: Record<string, unknown> = { ...settingDefaults };
    for (const r of rows) if (r.key in settingDefaults) out[r.key] = r.value;
    return out as Settings;
  }
  async function getAll(): Promise<Settings> {
    const value = await cache.get('all', load, { tags: () => ['settings'] });
    return { ...value! };
  }
  return {
    getAll,
    async get<K extends SettingKey>(key: K) {
      return (await getAll())[key];
    },
    async set(values, actorId) {
      const entries = Object.entries(values).filter(([, v]) => v !== undefined);
      if (entries.length) {
        try {
          await db
            .insert(settings)
            .values(
              entries.map(([key, value]) => ({ key, value, updatedBy: actorId, updatedAt: new Date() })),
            )
            .onConflictDoUpdate({
              target: settings.key,
              set: {
                value: sql`excluded.value`,
                updatedBy: sql`excluded.updated_by`,
                updatedAt: sql`excluded.updated_at`,
              },
            });
        } finally {
          // A read that overlapped the write is not kept either (TtlCache drops loads in flight).
          cache.invalidate('settings');
        }
      }
      return getAll();
    },
  };
}
