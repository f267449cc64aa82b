import { sql } from 'drizzle-orm';
import type { Db } from './db.js';

/**
 * Which users, teams and API tokens have a budget at all, cached for `ttlMs` (one small read a
 * second per process): a gateway call whose caller has none skips the reservation statement, so the
 * hot path stays free of a round trip for unbudgeted callers. Budgets changed through this process
 * are seen at once (`invalidate`, called by the budget store); another process's within `ttlMs`.
 */
export function createBudgetedScopes(db: Db, ttlMs = 1_000) {
  let cached: { at: number; value: Promise<Set<string>> } | null = null;
  const load = async () => {
    const r = await db.execute<{ k: string }>(
      sql`SELECT DISTINCT scope || ':' || scope_id::text AS k FROM budgets WHERE scope IN ('user', 'team', 'api_token')`,
    );
    return new Set(r.rows.map((x) => x.k));
  };
  return {
    async any(s: { userId: string; teamId: string | null; apiTokenId: string | null }): Promise<boolean> {
      const now = performance.now();
      if (!cached || now - cached.at > ttlMs) {
        const entry = { at: now, value: load() };
        cached = entry;
        entry.value.catch(() => {
          if (cached === entry) cached = null;
        });
      }
      const set = await cached.value;
      return (
        set.has(`user:${s.userId}`) ||
        (s.teamId !== null && set.has(`team:${s.teamId}`)) ||
        (s.apiTokenId !== null && set.has(`api_token:${s.apiTokenId}`))
      );
    },
    invalidate() {
      cached = null;
    },
  };
}
