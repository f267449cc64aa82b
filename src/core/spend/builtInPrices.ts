import { calcPrice, findProvider, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import type { Price } from './pricing.js';

/** The package the built-in table comes from (pinned exactly in package.json); shown as `source`. */
export const BUILT_IN_SOURCE = '@pydantic/genai-prices@0.1.8';

/** Our provider kinds → the table's provider ids (kinds missing here have no built-in prices). */
const PROVIDER_IDS: Record<string, string | undefined> = {
  openai: 'openai',
  anthropic: 'anthropic',
  xai: 'x-ai',
};

export interface PriceRow extends Price {
  providerKind: string;
  model: string;
  source: string;
}

type PriceValue = ModelPrice[string];
const perMTok = (v: PriceValue): number | null => {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'base' in v) return Number((v as { base: number }).base);
  return null;
};

function toPrice(p: ModelPrice | undefined): Price | null {
  if (!p) return null;
  const input = perMTok(p.input_mtok);
  const output = perMTok(p.output_mtok);
  if (input === null || output === null) return null;
  const cached = perMTok(p.cache_read_mtok);
  return { inputPerMTokUsd: input, outputPerMTokUsd: output, cachedInputPerMTokUsd: cached };
}

/** The current prices of a model entry (the last of its dated variants). */
function currentPrices(m: ModelInfo): ModelPrice | undefined {
  if (Array.isArray(m.prices)) return m.prices.at(-1)?.prices;
  return m.prices as ModelPrice;
}

/**
 * The built-in price of a model of this provider kind, matched the way the table matches model
 * names (aliases, dated snapshots); for `openai_compatible` the model name alone decides. Null when
 * the table does not know it. Reads the data bundled in the package: no network.
 */
export function builtInPrice(kind: string, model: string): Price | null {
  // The table is bundled and never changes at run time; a lookup matches names across it (~0.5 ms).
  const key = `${kind}\u0000${model}`;
  if (memo.has(key)) return memo.get(key) ?? null;
  const price = lookUp(kind, model);
  if (memo.size >= 10_000) memo.clear();
  memo.set(key, price);
  return price;
}

const memo = new Map<string, Price | null>();

function lookUp(kind: string, model: string): Price | null {
  const providerId = PROVIDER_IDS[kind];
  if (!providerId && kind !== 'openai_compatible') return null;
  try {
    const r = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, providerId ? { providerId } : {});
    return r ? toPrice(r.model_price) : null;
  } catch {
    return null;
  }
}

/** Every built-in row for the kinds we route to, for GET /api/prices. */
export function builtInRows(): PriceRow[] {
  const rows: PriceRow[] = [];
  for (const [kind, providerId] of Object.entries(PROVIDER_IDS)) {
    const provider = providerId ? findProvider({ providerId }) : undefined;
    for (const m of provider?.models ?? []) {
      if (m.deprecated) continue;
      const price = toPrice(currentPrices(m));
      if (price) rows.push({ providerKind: kind, model: m.id, source: BUILT_IN_SOURCE, ...price });
    }
  }
  return rows;
}
