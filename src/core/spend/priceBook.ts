import { type Clock, systemClock } from '../clock.js';
import { BUILT_IN_SOURCE, builtInPrice, builtInRows, type PriceRow } from './builtInPrices.js';
import type { PriceOverride, PriceOverrideStore } from './ports.js';
import { type CallUsage, costMicros, type Price } from './pricing.js';

const OVERRIDE_SOURCE = 'admin override';
const CACHE_MS = 10_000;

/**
 * Prices per provider kind and model: an admin override (exact model, then '*' for the kind) wins
 * over the built-in table. Overrides are cached for a few seconds per process and re-read at once
 * after a change made here.
 */
export class PriceBook {
  private cached: { at: number; items: PriceOverride[] } | null = null;

  constructor(
    private readonly store: PriceOverrideStore,
    private readonly now: Clock = systemClock,
  ) {}

  private async overrides(): Promise<PriceOverride[]> {
    if (this.cached && this.now().getTime() - this.cached.at < CACHE_MS) return this.cached.items;
    const items = await this.store.list();
    this.cached = { at: this.now().getTime(), items };
    return items;
  }

  async priceFor(kind: string, model: string | null): Promise<(Price & { source: string }) | null> {
    const o = await this.overrides();
    const hit =
      o.find((p) => p.providerKind === kind && model !== null && p.model === model) ??
      o.find((p) => p.providerKind === kind && p.model === '*');
    if (hit) return { ...hit, source: OVERRIDE_SOURCE };
    const built = model ? builtInPrice(kind, model) : null;
    return built ? { ...built, source: BUILT_IN_SOURCE } : null;
  }

  /** A call's cost in micro-dollars; 0 when nothing prices the model (logged by the caller if wanted). */
  async cost(kind: string, model: string | null, usage: CallUsage): Promise<number> {
    const price = await this.priceFor(kind, model);
    return price ? costMicros(price, usage) : 0;
  }

  /** The most a call could cost on any of `candidates`: the estimate reserved at intake. */
  async estimate(
    candidates: Array<{ kind: string; model: string | null }>,
    usage: CallUsage,
  ): Promise<number> {
    let max = 0;
    for (const c of candidates) max = Math.max(max, await this.cost(c.kind, c.model, usage));
    return max;
  }

  async list(): Promise<PriceRow[]> {
    const o = await this.overrides();
    const overridden = new Set(o.map((p) => `${p.providerKind}\u0000${p.model}`));
    return [
      ...o.map((p) => ({ ...p, source: OVERRIDE_SOURCE })),
      ...builtInRows().filter((r) => !overridden.has(`${r.providerKind}\u0000${r.model}`)),
    ];
  }

  async replaceOverrides(items: PriceOverride[], by: string): Promise<void> {
    await this.store.replace(items, by);
    this.cached = null;
  }
}
