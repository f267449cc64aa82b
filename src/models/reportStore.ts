import { type SQL, sql } from 'drizzle-orm';
import { FAILURE_EXAMPLE_CHARS, type FailureRow, failureLabel } from '../core/reports/failureReport.js';
import type { ReportGroupBy, ReportStore, UsageQuery, UsageRow } from '../core/reports/usageReport.js';
import { redactString } from '../logger.js';
import type { Db } from './db.js';

/** The one place tasks' cost enters reports: the real cost settled on each task (integer micro-dollars). */
const COST_MICROS = sql`coalesce(sum(t.cost_micros), 0)::bigint`;

/**
 * The group of each task row `t` (with its last attempt's provider as `a.provider`), in its own type:
 * uuids and dates group and sort faster than their text.
 */
const GROUP: Record<ReportGroupBy, SQL> = {
  day: sql`(t.created_at AT TIME ZONE 'UTC')::date`,
  user: sql`t.user_id`,
  team: sql`t.team_id`,
  provider: sql`coalesce(a.provider, '')`,
  taskType: sql`t.task_type`,
  source: sql`t.source`,
};

/** The key of each group `g.k`, as the API shows it. */
const KEY: Record<ReportGroupBy, SQL> = {
  day: sql`to_char(g.k, 'YYYY-MM-DD')`,
  user: sql`g.k::text`,
  team: sql`coalesce(g.k::text, '')`,
  provider: sql`g.k`,
  taskType: sql`g.k`,
  source: sql`g.k`,
};

/** The readable name of each group `g.k` (looked up by primary key). */
const LABEL: Record<ReportGroupBy, SQL> = {
  day: KEY.day,
  user: sql`coalesce((SELECT username FROM users WHERE id = g.k), g.k::text)`,
  team: sql`CASE WHEN g.k IS NULL THEN '(personal)' ELSE coalesce((SELECT name FROM teams WHERE id = g.k), g.k::text) END`,
  provider: sql`CASE WHEN g.k = '' THEN '(none)' ELSE g.k END`,
  taskType: sql`g.k`,
  source: sql`g.k`,
};

/**
 * How long before its task an attempt may be stamped, at most. Attempts are written after their task
 * (database clock), except a gateway call's, stamped with the gateway process's clock like its task;
 * the margin only absorbs clock differences, so the attempts of a range's tasks all fall after
 * `from - ATTEMPT_LEAD`.
 */
const ATTEMPT_LEAD = '1 day';

/**
 * How a report finds each task's attempts (tokens, provider); both give the same rows.
 * - `window`: aggregate every attempt stamped since `from - ATTEMPT_LEAD` per task (a range of
 *   `task_assignments_created_idx`) and hash-join them to the range's tasks: fast when the range
 *   ends near now, as monthly and scheduled reports do.
 * - `perTask`: look each task's attempts up by `task_assignments_report_idx`: for one team's report
 *   (a part of the window's attempts), and for an old range, which would otherwise hash every attempt
 *   made since.
 */
export type AttemptsPlan = 'window' | 'perTask';

/** `window` for the whole site's report unless the attempts since `from` span over three times its range. */
export function attemptsPlan(q: Pick<UsageQuery, 'from' | 'to' | 'teamId'>, now = new Date()): AttemptsPlan {
  if (q.teamId) return 'perTask';
  const range = q.to.getTime() - q.from.getTime();
  return now.getTime() - q.from.getTime() <= 3 * range + 86_400_000 ? 'window' : 'perTask';
}

/** Each task's attempts as `a` (`tokens`, and `provider` of the last when grouping by provider). */
function attemptsOf(q: UsageQuery, plan: AttemptsPlan): { join: SQL; on: SQL } {
  // The provider of the last attempt costs a sort per task: only when grouping by it.
  const providerOf =
    q.groupBy === 'provider'
      ? sql`(array_agg(x.provider_name ORDER BY x.created_at DESC))[1]`
      : sql`NULL::text`;
  if (plan === 'perTask')
    return {
      join: sql`LEFT JOIN LATERAL (
            SELECT sum(x.tokens_used) AS tokens, ${providerOf} AS provider
            FROM task_assignments x WHERE x.task_id = t.id
          ) a`,
      on: sql`true`,
    };
  return {
    join: sql`LEFT JOIN (
            SELECT x.task_id, sum(x.tokens_used) AS tokens, ${providerOf} AS provider
            FROM task_assignments x
            WHERE x.created_at >= ${q.from.toISOString()}::timestamptz - ${ATTEMPT_LEAD}::interval
            GROUP BY x.task_id
          ) a`,
    on: sql`a.task_id = t.id`,
  };
}

/**
 * Usage reports in one statement over the `tasks_report_idx` range (created_at, covering the grouped
 * columns and the cost), read without touching the heap; tokens and the provider come from each
 * task's attempts (see `AttemptsPlan`), from covering indexes too.
 * Latency is the task's started → completed time, for completed tasks.
 */
export function createReportStore(db: Db, opts: { plan?: AttemptsPlan } = {}): ReportStore {
  return {
    async usage(q) {
      const team = q.teamId ? sql`AND t.team_id = ${q.teamId}::uuid` : sql``;
      const a = attemptsOf(q, opts.plan ?? attemptsPlan(q));
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
        SELECT ${KEY[q.groupBy]} AS key, ${LABEL[q.groupBy]} AS label, g.tasks, g.completed, g.failed, g.tokens, g.cost_micros, g.p50, g.p95
        FROM (
          SELECT ${GROUP[q.groupBy]} AS k,
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
          ${a.join} ON ${a.on}
          GROUP BY 1
        ) g
        ORDER BY 1`);
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

    /**
     * Failed attempts stamped in the range (a range of `task_assignments_created_idx`), each joined to
     * its task by primary key (team filter, whether the task ended failed), grouped by error code.
     */
    async failures(q) {
      const team = q.teamId ? sql`AND t.team_id = ${q.teamId}::uuid` : sql``;
      const r = await db.execute<{
        code: string;
        attempts: number;
        tasks: number;
        providers: string[] | null;
        last_at: Date | string;
        example: string | null;
      }>(sql`
        SELECT coalesce(a.error_code, 'unknown') AS code,
               count(*)::int AS attempts,
               count(DISTINCT a.task_id) FILTER (WHERE t.status = 'failed')::int AS tasks,
               array_agg(DISTINCT a.provider_name) FILTER (WHERE a.provider_name IS NOT NULL) AS providers,
               max(a.created_at) AS last_at,
               (array_agg(left(a.error_message, ${FAILURE_EXAMPLE_CHARS * 2}::int) ORDER BY a.created_at DESC)
                  FILTER (WHERE a.error_message IS NOT NULL AND a.error_message <> ''))[1] AS example
        FROM task_assignments a
        JOIN tasks t ON t.id = a.task_id
        WHERE a.created_at >= ${q.from.toISOString()}::timestamptz
          AND a.created_at < ${q.to.toISOString()}::timestamptz
          AND a.status = 'failed' ${team}
        GROUP BY 1
        ORDER BY 2 DESC, 1`);
      return r.rows.map(
        (row): FailureRow => ({
          code: row.code,
          label: failureLabel(row.code),
          attempts: Number(row.attempts),
          tasks: Number(row.tasks),
          providers: [...(row.providers ?? [])].sort(),
          lastAt: new Date(row.last_at).toISOString(),
          // Stored messages are redacted where they are made (providers/classify.ts); the known
          // secret shapes are redacted again here, before cutting, so a cut never reveals a key's head.
          example: row.example === null ? null : redactString(row.example).slice(0, FAILURE_EXAMPLE_CHARS),
        }),
      );
    },
  };
}
