import { type SQL, sql } from 'drizzle-orm';
import type { ReportGroupBy, ReportStore, UsageRow } from '../core/reports/usageReport.js';
import type { Db } from './db.js';

/** The one place tasks' cost enters reports: the real cost settled on each task (integer micro-dollars). */
const COST_MICROS = sql`coalesce(sum(t.cost_micros), 0)::bigint`;

/** The group key of each task row `t` (with its last attempt's provider as `a.provider`). */
const KEY: Record<ReportGroupBy, SQL> = {
  day: sql`to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  user: sql`t.user_id::text`,
  team: sql`coalesce(t.team_id::text, '')`,
  provider: sql`coalesce(a.provider, '')`,
  taskType: sql`t.task_type`,
  source: sql`t.source`,
};

/** The readable name of each key `g.key`. */
const LABEL: Record<ReportGroupBy, SQL> = {
  day: sql`g.key`,
  user: sql`coalesce((SELECT username FROM users WHERE id::text = g.key), g.key)`,
  team: sql`CASE WHEN g.key = '' THEN '(personal)' ELSE coalesce((SELECT name FROM teams WHERE id::text = g.key), g.key) END`,
  provider: sql`CASE WHEN g.key = '' THEN '(none)' ELSE g.key END`,
  taskType: sql`g.key`,
  source: sql`g.key`,
};

/**
 * Usage reports in one statement over the `tasks_report_idx` range (created_at, covering the grouped
 * columns); tokens and the provider come from each task's attempts through `task_assignments_report_idx`
 * (task_id, covering tokens, provider, time), both read without touching the tables' heaps.
 * Latency is the task's started → completed time, for completed tasks.
 */
export function createReportStore(db: Db): ReportStore {
  return {
    async usage(q) {
      const team = q.teamId ? sql`AND t.team_id = ${q.teamId}::uuid` : sql``;
      // The provider of the last attempt costs a sort per task: only when grouping by it.
      const providerOf =
        q.groupBy === 'provider'
          ? sql`(array_agg(x.provider_name ORDER BY x.created_at DESC))[1]`
          : sql`NULL::text`;
      const r = await db.execute<{
        key: string;
        label: string;
        tasks: number;
        completed: number;
        failed: number;
        tokens: string;
        cost_micros: string;
        p50: number | null;
        p95: number | null;
      }>(sql`
        SELECT g.key, ${LABEL[q.groupBy]} AS label, g.tasks, g.completed, g.failed, g.tokens, g.cost_micros, g.p50, g.p95
        FROM (
          SELECT ${KEY[q.groupBy]} AS key,
                 count(*)::int AS tasks,
                 count(*) FILTER (WHERE t.status = 'completed')::int AS completed,
                 count(*) FILTER (WHERE t.status = 'failed')::int AS failed,
                 coalesce(sum(a.tokens), 0)::bigint AS tokens,
                 ${COST_MICROS} AS cost_micros,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY t.latency_ms) AS p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY t.latency_ms) AS p95
          FROM (
            SELECT t.id, t.user_id, t.team_id, t.status, t.source, t.task_type, t.created_at, t.cost_micros, CASE WHEN t.status = 'completed' AND t.started_at IS NOT NULL
                             THEN extract(epoch FROM t.completed_at - t.started_at) * 1000 END AS latency_ms
            FROM tasks t
            WHERE t.created_at >= ${q.from.toISOString()}::timestamptz
              AND t.created_at < ${q.to.toISOString()}::timestamptz ${team}
          ) t
          LEFT JOIN LATERAL (
            SELECT sum(x.tokens_used) AS tokens, ${providerOf} AS provider
            FROM task_assignments x WHERE x.task_id = t.id
          ) a ON true
          GROUP BY 1
        ) g
        ORDER BY g.key`);
      return r.rows.map(
        (row): UsageRow => ({
          key: row.key,
          label: row.label,
          tasks: Number(row.tasks),
          completed: Number(row.completed),
          failed: Number(row.failed),
          tokens: Number(row.tokens),
          costMicros: Number(row.cost_micros),
          p50LatencyMs: row.p50 === null ? null : Math.round(Number(row.p50)),
          p95LatencyMs: row.p95 === null ? null : Math.round(Number(row.p95)),
        }),
      );
    },
  };
}
