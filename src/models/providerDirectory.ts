import { sql } from 'drizzle-orm';
import type { Db } from './db.js';

/** Whether a provider with this id exists (intake checks a pinned providerId). */
export function createProviderExists(db: Db): (id: string) => Promise<boolean> {
  return async (id) => {
    const r = await db.execute(sql`SELECT 1 FROM ai_providers WHERE id = ${id}`);
    return r.rows.length > 0;
  };
}
