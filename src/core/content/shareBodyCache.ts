import type { ShareBody } from './sharePage.js';

/**
 * Rendered share-page bodies per (content id, version), in process memory. A version's title and
 * body never change once written, so an entry never goes stale; it only stops being reachable when
 * its link is revoked or expires, its content is deleted or its owner is suspended, all of which are
 * checked (in the database) before the cache is consulted.
 *
 * Bounded two ways: at most `maxEntries` entries and at most `maxChars` characters of HTML in total
 * (least recently used first out). An entry larger than `maxChars` on its own is not kept.
 */
export class ShareBodyCache {
  private readonly entries = new Map<string, ShareBody>();
  private chars = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly limits: { maxEntries: number; maxChars: number } = {
      maxEntries: 256,
      maxChars: 32_000_000,
    },
  ) {}

  private static key(contentId: string, version: number): string {
    return `${contentId}:${version}`;
  }

  get(contentId: string, version: number): ShareBody | undefined {
    const key = ShareBodyCache.key(contentId, version);
    const hit = this.entries.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    this.hits++;
    return hit;
  }

  set(contentId: string, version: number, body: ShareBody): void {
    const size = body.bodyHtml.length;
    if (size > this.limits.maxChars) return;
    const key = ShareBodyCache.key(contentId, version);
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.chars -= old.bodyHtml.length;
    }
    this.entries.set(key, body);
    this.chars += size;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.chars <= this.limits.maxChars) break;
      this.entries.delete(k);
      this.chars -= v.bodyHtml.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
