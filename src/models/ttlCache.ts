/**
 * A bounded in-process cache with a time-to-live and tags. `invalidate(tag)` drops every entry
 * carrying the tag (or keyed by it); any invalidation also discards loads that were in flight when
 * it happened, so a value read before a change is never stored after the change was announced.
 * Negative answers (a load returning null) are never stored. While `enabled()` is false nothing is
 * served or stored (the cache bus turns caches off while it cannot hear invalidations).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; tags: string[]; expiresAt: number }>();
  private readonly byTag = new Map<string, Set<string>>();
  private generation = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly name: string,
    readonly ttlMs: number,
    private readonly enabled: () => boolean = () => true,
    private readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value for `key`, or what `load` answers (stored unless null). `tags` names what the
   * value depends on; `valid` can refuse a cached value (e.g. a token that has expired since).
   */
  async get(
    key: string,
    load: () => Promise<V | null>,
    opts: { tags?: (v: V) => string[]; valid?: (v: V) => boolean } = {},
  ): Promise<V | null> {
    const e = this.entries.get(key);
    if (e && e.expiresAt > performance.now() && this.enabled() && (opts.valid?.(e.value) ?? true)) {
      this.hits++;
      return e.value;
    }
    if (e) this.drop(key);
    this.misses++;
    const generation = this.generation;
    const value = await load();
    if (value !== null && generation === this.generation && this.enabled() && this.ttlMs > 0) {
      this.store(key, value, opts.tags?.(value) ?? []);
    }
    return value;
  }

  invalidate(tag: string): void {
    this.generation++;
    this.drop(tag);
    for (const key of this.byTag.get(tag) ?? []) this.drop(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.byTag.clear();
  }

  private store(key: string, value: V, tags: string[]): void {
    this.drop(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    this.entries.set(key, { value, tags, expiresAt: performance.now() + this.ttlMs });
    for (const t of tags) {
      const keys = this.byTag.get(t) ?? new Set<string>();
      keys.add(key);
      this.byTag.set(t, keys);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (const t of e.tags) {
      const keys = this.byTag.get(t);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(t);
    }
  }
}
