/**
 * Chart data for the admin statistics page. "Tasks over time" comes from the server
 * (GET /api/admin/stats → tasksOverTime, per UTC day); against a server without that field it is
 * counted in the browser from the most recent tasks (GET /api/tasks?all=true) instead.
 */
import type { StatsDay, Task, TaskStatus } from '../api/types';
import { TASK_STATUSES } from '../api/types';

export type Bucket = 'hour' | 'day';

export type TimeSeriesRow = { bucket: string; label: string } & Record<TaskStatus, number>;

function bucketStart(d: Date, bucket: Bucket): Date {
  const b = new Date(d);
  b.setMinutes(0, 0, 0);
  if (bucket === 'day') b.setHours(0);
  return b;
}

/** Tasks counted per hour or day (by createdAt, local time) and status, oldest first, gaps filled. */
export function tasksOverTime(tasks: Pick<Task, 'createdAt' | 'status'>[], bucket: Bucket): TimeSeriesRow[] {
  const valid = tasks
    .map((t) => ({ t: new Date(t.createdAt), s: t.status }))
    .filter((x) => !Number.isNaN(x.t.getTime()));
  if (valid.length === 0) return [];
  const stepMs = bucket === 'day' ? 24 * 3600_000 : 3600_000;
  const rows = new Map<number, TimeSeriesRow>();
  const first = bucketStart(new Date(Math.min(...valid.map((x) => x.t.getTime()))), bucket);
  const last = bucketStart(new Date(Math.max(...valid.map((x) => x.t.getTime()))), bucket);
  const fmt = new Intl.DateTimeFormat(
    undefined,
    bucket === 'day'
      ? { month: 'short', day: 'numeric' }
      : { month: 'short', day: 'numeric', hour: '2-digit' },
  );
  // Walk bucket by bucket (using calendar arithmetic so DST days still line up).
  for (let d = new Date(first); d.getTime() <= last.getTime(); ) {
    const row = { bucket: d.toISOString(), label: fmt.format(d) } as TimeSeriesRow;
    for (const s of TASK_STATUSES) row[s] = 0;
    rows.set(d.getTime(), row);
    const next = new Date(d);
    if (bucket === 'day') next.setDate(next.getDate() + 1);
    else next.setTime(next.getTime() + stepMs);
    d = bucketStart(next, bucket);
    if (rows.size > 1000) break; // guard against absurd ranges
  }
  for (const { t, s } of valid) {
    const row = rows.get(bucketStart(t, bucket).getTime());
    if (row && s in row) row[s] += 1;
  }
  return [...rows.values()];
}

const DAY_MS = 24 * 3600_000;

/** The server's tasks per UTC day as chart rows: oldest first, days without tasks filled with zeros. */
export function dailySeries(days: readonly StatsDay[]): TimeSeriesRow[] {
  const byDay = new Map<number, StatsDay>();
  for (const d of days) {
    const t = Date.parse(`${d.date}T00:00:00Z`);
    if (!Number.isNaN(t)) byDay.set(t, d);
  }
  if (byDay.size === 0) return [];
  const first = Math.min(...byDay.keys());
  const last = Math.max(...byDay.keys());
  const fmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const rows: TimeSeriesRow[] = [];
  // UTC days are all 24 hours long; the cap guards against absurd ranges.
  for (let t = first; t <= last && rows.length < 1000; t += DAY_MS) {
    const day = byDay.get(t);
    const row = { bucket: new Date(t).toISOString(), label: fmt.format(t) } as TimeSeriesRow;
    for (const s of TASK_STATUSES) row[s] = Number(day?.[s] ?? 0) || 0;
    rows.push(row);
  }
  return rows;
}

/** Pick hourly buckets for short spans, daily for longer ones. */
export function pickBucket(tasks: Pick<Task, 'createdAt'>[]): Bucket {
  const times = tasks.map((t) => new Date(t.createdAt).getTime()).filter((n) => !Number.isNaN(n));
  if (times.length < 2) return 'hour';
  return Math.max(...times) - Math.min(...times) > 3 * 24 * 3600_000 ? 'day' : 'hour';
}

/** `{queued: 3, running: 1}` → `[{name, value}]` for bar charts, in a stable order. */
export function recordToRows(
  record: Record<string, number> | undefined,
  order: readonly string[] = [],
): Array<{ key: string; value: number }> {
  if (!record) return [];
  const keys = Object.keys(record);
  keys.sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 999 : ia) - (ib === -1 ? 999 : ib);
    return record[b] - record[a];
  });
  return keys.map((key) => ({ key, value: Number(record[key]) || 0 }));
}
