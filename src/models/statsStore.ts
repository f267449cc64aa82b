import { sql } from 'drizzle-orm';
import type { AdminStats, StatsReader } from '../core/tasks/stats.js';
import type { Db } from './db.js';

const DAY_SERIES_DEFAULT_DAYS = 30;

/** The admin dashboard's figures, straight from our tables (tasks, task_assignments, users). */
export function createStatsReader(db: Db): StatsReader {
  return {
    async adminStats(since) {
      const from = since ? sql`${since.toISOString()}::timestamptz` : sql`'-infinity'::timestamptz`;
      const seriesFrom = since
        ? sql`${since.toISOString()}::timestamptz`
        : sql`date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => ${DAY_SERIES_DEFAULT_DAYS - 1})`;

      const [users, byStatus, byType, bySource, providers, queue, series] = await Promise.all([
        db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`),
        db.execute<{ k: string; n: number }>(
          sql`SELECT status AS k, count(*)::int AS n FROM tasks WHERE created_at >= ${from} GROUP BY 1`,
        ),
        db.execute<{ k: string; n: number }>(
          sql`SELECT task_type AS k, count(*)::int AS n FROM tasks WHERE created_at >= ${from} GROUP BY 1`,
        ),
        db.execute<{ k: string; n: number }>(
          sql`SELECT source AS k, count(*)::int AS n FROM tasks WHERE created_at >= ${from} GROUP BY 1`,
        ),
        db.execute<{
          id: string;
          name: string;
          completed: number;
          failed: number;
          ok_attempts: number;
          failed_attempts: number;
          tokens: string | number;
          p50: number | null;
        }>(sql`
          SELECT p.id, p.name,
                 count(DISTINCT a.task_id) FILTER (WHERE a.status = 'succeeded')::int AS completed,
                 count(DISTINCT a.task_id) FILTER (WHERE a.status = 'failed')::int AS failed,
                 count(*) FILTER (WHERE a.status = 'succeeded')::int AS ok_attempts,
                 count(*) FILTER (WHERE a.status = 'failed')::int AS failed_attempts,
                 coalesce(sum(a.tokens_used), 0)::bigint AS tokens,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms) FILTER (WHERE a.status = 'succeeded') AS p50
          FROM ai_providers p
          LEFT JOIN task_assignments a ON a.provider_id = p.id AND a.created_at >= ${from}
          GROUP BY p.id, p.name
          ORDER BY p.name`),
        db.execute<{ queued: number; running: number; failed: number }>(sql`
          SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
                 count(*) FILTER (WHERE status = 'running')::int AS running,
                 count(*) FILTER (WHERE status = 'failed' AND created_at >= ${from})::int AS failed
          FROM tasks WHERE status IN ('queued', 'running', 'failed')`),
        db.execute<{ day: string; status: string; n: number }>(sql`
          SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, status, count(*)::int AS n
          FROM tasks WHERE created_at >= ${seriesFrom}
          GROUP BY 1, 2 ORDER BY 1`),
      ]);

      const toMap = (rows: Array<{ k: string; n: number }>) =>
        Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
      const days = new Map<string, AdminStats['tasksOverTime'][number]>();
      for (const r of series.rows) {
        const d = days.get(r.day) ?? { date: r.day, total: 0 };
        (d as Record<string, unknown>)[r.status] = Number(r.n);
        d.total += Number(r.n);
        days.set(r.day, d);
      }
      const statusMap = toMap(byStatus.rows);
      return {
        users: { total: Number(users.rows[0]?.n ?? 0) },
        tasks: {
          total: Object.values(statusMap).reduce((a, b) => a + b, 0),
          byStatus: statusMap,
          byType: toMap(byType.rows),
          bySource: toMap(bySource.rows),
        },
        providers: providers.rows.map((p) => {
          const ok = Number(p.ok_attempts);
          const bad = Number(p.failed_attempts);
          return {
            id: p.id,
            name: p.name,
            tasksCompleted: Number(p.completed),
            tasksFailed: Number(p.failed),
            tokensUsed: Number(p.tokens),
            // Share of finished attempts that failed (aborted ones count neither way).
            errorRate: ok + bad === 0 ? 0 : Number((bad / (ok + bad)).toFixed(4)),
            p50LatencyMs: p.p50 === null || p.p50 === undefined ? null : Math.round(Number(p.p50)),
          };
        }),
        queue: {
          queued: Number(queue.rows[0]?.queued ?? 0),
          running: Number(queue.rows[0]?.running ?? 0),
          failed: Number(queue.rows[0]?.failed ?? 0),
        },
        tasksOverTime: [...days.values()],
      };
    },
  };
}
