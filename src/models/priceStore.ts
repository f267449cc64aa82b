import { sql } from 'drizzle-orm';
import type { PriceOverride, PriceOverrideStore } from '../core/spend/ports.js';
import type { Db } from './db.js';

interface Row extends Record<string, unknown> {
  provider_kind: string;
  model: string;
  input_per_mtok_usd: number;
  output_per_mtok_usd: number;
  cached_input_per_mtok_usd: number | null;
}

/** Admin price overrides (price_overrides). */
export function createPriceStore(db: Db): PriceOverrideStore {
  return {
    async list() {
      const r = await db.execute<Row>(sql`
        SELECT provider_kind, model, input_per_mtok_usd, output_per_mtok_usd, cached_input_per_mtok_usd
        FROM price_overrides ORDER BY provider_kind, model`);
      return r.rows.map(
        (x): PriceOverride => ({
          providerKind: x.provider_kind,
          model: x.model,
          inputPerMTokUsd: Number(x.input_per_mtok_usd),
          outputPerMTokUsd: Number(x.output_per_mtok_usd),
          cachedInputPerMTokUsd:
            x.cached_input_per_mtok_usd === null ? null : Number(x.cached_input_per_mtok_usd),
        }),
      );
    },

    async replace(items, by) {
      await db.transaction(async (tx) => {
        await tx.execute(sql`DELETE FROM price_overrides`);
        for (const p of items)
          await tx.execute(sql`
            INSERT INTO price_overrides (provider_kind, model, input_per_mtok_usd, output_per_mtok_usd, cached_input_per_mtok_usd, updated_by)
            VALUES (${p.providerKind}, ${p.model}, ${p.inputPerMTokUsd}, ${p.outputPerMTokUsd}, ${p.cachedInputPerMTokUsd ?? null}, ${by}::uuid)
            ON CONFLICT (provider_kind, model) DO UPDATE SET
              input_per_mtok_usd = excluded.input_per_mtok_usd, output_per_mtok_usd = excluded.output_per_mtok_usd,
              cached_input_per_mtok_usd = excluded.cached_input_per_mtok_usd, updated_by = excluded.updated_by, updated_at = now()`);
      });
    },
  };
}
