import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

/**
 * A read that runs at most once per `ttlMs`: a scrape storm costs one query per window, not one per
 * scrape. A failed read (database down) yields `undefined`: its gauges are left out of that scrape
 * rather than failing /metrics, and the next scrape tries again.
 */
function cached<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T | undefined> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      const value = read();
      last = { at: now, value };
      // A failed read is not kept: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value.catch(() => undefined);
  };
}

interface QueueRow {
  priority: string;
  status: string;
  n: number;
  oldest: number | null;
}

/**
 * Gauges read from PostgreSQL when Prometheus scrapes, one cheap query each, cached for `ttlMs`:
 * queue depth and the oldest queued task's age per priority, tasks running, and each provider
 * account's remaining token budget. Registered in API processes (they serve /metrics for the
 * cluster's shared state); every replica reports the same values, so dashboards take `max`.
 */
export function registerDatabaseGauges(registry: Registry, pool: pg.Pool, ttlMs = 2_000): void {
  const registers = [registry];
  const queue = cached(ttlMs, async () => {
    const r = await pool.query<QueueRow>(
      `SELECT priority, status, count(*)::int AS n,
              extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM tasks WHERE status IN ('queued', 'running') GROUP BY priority, status`,
    );
    return r.rows;
  });
  const budgets = cached(ttlMs, async () => {
    const r = await pool.query<{ provider: string; account: string; remaining: number; limit: number }>(
      `SELECT p.name AS provider, a.account_name AS account,
              greatest(a.token_limit - a.token_used - a.token_reserved, 0)::float8 AS remaining,
              a.token_limit::float8 AS limit
         FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id
        WHERE a.status = 'active' AND p.status = 'active'`,
    );
    return r.rows;
  });

  const perPriority = (rows: QueueRow[] | undefined, status: string, pick: (r: QueueRow) => number) =>
    (rows ? PRIORITIES : []).map((priority) => {
      const row = rows?.find((r) => r.priority === priority && r.status === status);
      return { priority, value: row ? pick(row) : 0 };
    });

  new Gauge({
    name: 'switchyard_queue_depth',
    help: 'Tasks waiting for a worker, by priority',
    labelNames: ['priority'] as const,
    registers,
    async collect() {
      this.reset();
      for (const p of perPriority(await queue(), 'queued', (r) => r.n))
        this.set({ priority: p.priority }, p.value);
    },
  });
  new Gauge({
    name: 'switchyard_queue_oldest_age_seconds',
    help: 'Age of the oldest task waiting for a worker, by priority (0 when none waits)',
    labelNames: ['priority'] as const,
    registers,
    async collect() {
      this.reset();
      for (const p of perPriority(await queue(), 'queued', (r) => r.oldest ?? 0))
        this.set({ priority: p.priority }, p.value);
    },
  });
  new Gauge({
    name: 'switchyard_tasks_running',
    help: 'Tasks running on a worker, by priority',
    labelNames: ['priority'] as const,
    registers,
    async collect() {
      this.reset();
      for (const p of perPriority(await queue(), 'running', (r) => r.n))
        this.set({ priority: p.priority }, p.value);
    },
  });
  new Gauge({
    name: 'switchyard_provider_budget_remaining_tokens',
    help: 'Tokens left in each active provider account (limit − used − reserved)',
    labelNames: ['provider', 'account'] as const,
    registers,
    async collect() {
      this.reset();
      for (const b of (await budgets()) ?? [])
        this.set({ provider: b.provider, account: b.account }, b.remaining);
    },
  });
  new Gauge({
    name: 'switchyard_provider_budget_limit_tokens',
    help: "Each active provider account's token limit per reset period",
    labelNames: ['provider', 'account'] as const,
    registers,
    async collect() {
      this.reset();
      for (const b of (await budgets()) ?? [])
        this.set({ provider: b.provider, account: b.account }, b.limit);
    },
  });
}
