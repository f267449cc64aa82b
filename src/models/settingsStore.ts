import { sql } from 'drizzle-orm';
import {
  type SettingKey,
  type Settings,
  type SettingsStore,
  settingDefaults,
} from '../core/settings/settings.js';
import type { Db } from './db.js';
import { settings } from './schema.js';

export function createSettingsStore(db: Db): SettingsStore {
  async function getAll(): Promise<Settings> {
    const rows = await db.select().from(settings);
    const out: Record<string, unknown> = { ...settingDefaults };
    for (const r of rows) if (r.key in settingDefaults) out[r.key] = r.value;
    return out as Settings;
  }
  return {
    getAll,
    async get<K extends SettingKey>(key: K) {
      return (await getAll())[key];
    },
    async set(values, actorId) {
      const entries = Object.entries(values).filter(([, v]) => v !== undefined);
      if (entries.length) {
        await db
          .insert(settings)
          .values(entries.map(([key, value]) => ({ key, value, updatedBy: actorId, updatedAt: new Date() })))
          .onConflictDoUpdate({
            target: settings.key,
            set: {
              value: sql`excluded.value`,
              updatedBy: sql`excluded.updated_by`,
              updatedAt: sql`excluded.updated_at`,
            },
          });
      }
      return getAll();
    },
  };
}
