import type { Logger } from '../logger.js';
import { ListenConnection } from './listenConnection.js';
import { TtlCache } from './ttlCache.js';

/**
 * The channel the cache triggers NOTIFY on (migration 0002_cache_notify). Payloads: 'user:<id>'
 * (a user, its sessions or its API tokens changed), 'providers', 'settings', 'budgets' (a budget
 * added, removed, or its limits, action or period changed: migration 0014_budget_notify).
 */
export const CACHE_CHANNEL = 'switchyard_cache';

/**
 * One LISTEN connection per process that invalidates the process's caches when another process (or
 * this one) commits a change. The database sends the notices from triggers at commit. A lost
 * connection turns every cache off (nothing served or stored) until a new connection LISTENs again;
 * then every cache starts empty, since notices sent meanwhile were missed.
 */
export class CacheBus {
  private readonly caches = new Set<TtlCache<unknown>>();
  private readonly listeners = new Set<(tag: string) => void>();
  private readonly connection: ListenConnection;
  /** Notices received, and connections (re)opened: for tests and the logs. */
  readonly counters = { notices: 0, connects: 0 };

  constructor(opts: { databaseUrl: string; logger: Logger }) {
    this.connection = new ListenConnection({
      ...opts,
      channel: CACHE_CHANNEL,
      name: 'cache',
      onNotice: (payload) => {
        this.counters.notices++;
        this.invalidate(payload);
      },
      // Anything cached before this connection listened may have missed its notice; while it is
      // down, caches are off (live is false) and start empty again.
      onConnected: () => {
        this.clearAll();
        this.counters.connects++;
        this.tell('*');
      },
      onLost: () => this.clearAll(),
    });
  }

  /** True while invalidations can be heard, i.e. while caches may serve. */
  get live(): boolean {
    return this.connection.live;
  }

  /** The LISTEN connection's server process id (null while disconnected). */
  get backendPid(): number | null {
    return this.connection.backendPid;
  }

  /** A cache whose entries this bus invalidates; it serves only while the bus is live. */
  cache<V>(name: string, ttlMs: number): TtlCache<V> {
    const c = new TtlCache<V>(name, ttlMs, () => this.live);
    this.caches.add(c as TtlCache<unknown>);
    return c;
  }

  /** Applies an invalidation in this process now (a writer need not wait for its own notice). */
  invalidate(tag: string): void {
    for (const c of this.caches) c.invalidate(tag);
    this.tell(tag);
  }

  /**
   * Calls `listener` with every invalidation's tag, and with '*' whenever a connection starts to
   * listen (notices sent before it may have been missed). For state that is not a cache: the
   * gateway's leases on budgets go back on 'budgets'.
   */
  onInvalidate(listener: (tag: string) => void): void {
    this.listeners.add(listener);
  }

  private tell(tag: string): void {
    for (const l of this.listeners) {
      try {
        l(tag);
      } catch {
        // A listener's failure is its own; the caches are invalidated regardless.
      }
    }
  }

  stats(): Record<string, { size: number; hits: number; misses: number }> {
    return Object.fromEntries(
      [...this.caches].map((c) => [c.name, { size: c.size, hits: c.hits, misses: c.misses }]),
    );
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    this.clearAll();
  }

  private clearAll(): void {
    for (const c of this.caches) c.clear();
  }
}
