import { sql } from 'drizzle-orm';
import {
  type SettingKey,
  type Settings,
  type SettingsStore,
  settingDefaults,
} from '../core/settings/settings.js';
import type { Db } from './db.js';
import { settings } from './schema.js';

/**
 * Admin settings. Intake reads them on every request (the default priority, chat rate limits), so
 * they are cached for `ttlMs`: a change made through this store is seen at once by this process,
 * and by other processes within `ttlMs`.
 */
export function createSettingsStore(db: Db, opts: { ttlMs?: number } = {}): SettingsStore {
  const ttlMs = opts.ttlMs ?? 2000;
  let cached: { at: number; value: Promise<Settings> } | null = null;

  async function load(): Promise<Settings> {
    const rows = await db.select().from(settings);
    const out: Record<string, unknown> = { ...settingDefaults };
    for (const r of rows) if (r.key in settingDefaults) out[r.key] = r.value;
    return out as Settings;
  }
  async function getAll(): Promise<Settings> {
    const now = performance.now();
    if (!cached || now - cached.at > ttlMs) {
      const value = load();
      cached = { at: now, value };
      value.catch(() => {
        if (cached?.value === value) cached = null;
      });
    }
    return { ...(await cached.value) };
  }
  return {
    getAll,
    async get<K extends SettingKey>(key: K) {
      return (await getAll())[key];
    },
    async set(values, actorId) {
      const entries = Object.entries(values).filter(([, v]) => v !== undefined);
      // Dropped before and after the write: a read that overlaps it is not kept.
      cached = null;
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
          cached = null;
        }
      }
      return getAll();
    },
  };
}
