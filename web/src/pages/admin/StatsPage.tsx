import { type ReactNode, useId, useState } from 'react';
import { api } from '../../api/client';
import { TASK_STATUSES, type Task } from '../../api/types';
import { BarChart } from '../../components/BarChart';
import { DataTable } from '../../components/DataTable';
import { PageHeader } from '../../components/Layout';
import { Empty, ErrorMessage, Loading } from '../../components/Status';
import { formatMs, formatNumber, formatPercent, humanize } from '../../lib/format';
import { useAsync, usePageTitle } from '../../lib/hooks';
import { dailySeries, pickBucket, recordToRows, tasksOverTime } from '../../lib/stats';

/** Mirrors the status colours in styles.css (SVG fills need concrete values). */
const STATUS_COLORS: Record<string, string> = {
  awaiting_approval: '#7c3aed',
  queued: '#64748b',
  running: '#2563eb',
  completed: '#16a34a',
  failed: '#dc2626',
  cancelled: '#a16207',
};
const SERIES = ['#4f46e5', '#0891b2', '#c026d3', '#ea580c', '#65a30d', '#0d9488', '#9333ea', '#e11d48'];

const RANGES = [
  { id: '24h', label: 'Last 24 hours', hours: 24 },
  { id: '7d', label: 'Last 7 days', hours: 24 * 7 },
  { id: '30d', label: 'Last 30 days', hours: 24 * 30 },
  { id: 'all', label: 'All time', hours: 0 },
];

/**
 * Fallback for servers whose stats have no `tasksOverTime`: how many recent tasks the browser reads
 * to count "tasks over time" itself.
 */
const TIMELINE_PAGES = 5;
const TIMELINE_PAGE_SIZE = 100;

async function recentTasks(
  since: string | undefined,
  signal: AbortSignal,
): Promise<{ tasks: Task[]; total: number; capped: boolean }> {
  const tasks: Task[] = [];
  let total = 0;
  for (let page = 1; page <= TIMELINE_PAGES; page++) {
    const res = await api.listTasks({ all: 'true', page, limit: TIMELINE_PAGE_SIZE }, signal);
    total = res.total;
    tasks.push(...res.items);
    const oldest = res.items[res.items.length - 1];
    if (res.items.length < TIMELINE_PAGE_SIZE || tasks.length >= total) break;
    if (since && oldest && oldest.createdAt < since) break;
  }
  const inRange = since ? tasks.filter((t) => t.createdAt >= since) : tasks;
  return {
    tasks: inRange,
    total,
    capped: tasks.length < total && !(since && tasks.some((t) => t.createdAt < since)),
  };
}

function ChartCard({
  title,
  children,
  table,
  testId,
}: {
  title: string;
  children: ReactNode;
  table: ReactNode;
  testId: string;
}) {
  const id = useId();
  return (
    <figure className="card chart-card" aria-labelledby={id} data-testid={testId}>
      <figcaption id={id} className="h3">
        {title}
      </figcaption>
      <div className="chart">{children}</div>
      <details className="disclosure">
        <summary>Show the data as a table</summary>
        {table}
      </details>
    </figure>
  );
}

/** A chart's figures as a compact table: one row of cells per entry, under the given headings. */
function FiguresTable({ caption, head, rows }: { caption: string; head: string[]; rows: ReactNode[][] }) {
  const numbered = rows.map((cells, i) => ({ i, cells }));
  return (
    <DataTable
      rows={numbered}
      caption={caption}
      compact
      rowKey={(r) => r.i}
      columns={head.map((h, j) => ({ header: h, cell: (r: (typeof numbered)[number]) => r.cells[j] }))}
    />
  );
}

type BarsProps = Parameters<typeof SimpleBars>[0];

/**
 * A bar chart card with its data as a table. By default the table has one row per bar (key and
 * formatted value) and is captioned with the title; `rows` and `caption` replace them.
 */
function BarCard({
  title,
  testId,
  caption = title,
  head,
  rows,
  ...bars
}: BarsProps & { title: string; testId: string; caption?: string; head: string[]; rows?: ReactNode[][] }) {
  // Named bars are providers; the others count tasks.
  const label = (k: string) => (bars.names ? k : humanize(k));
  return (
    <ChartCard
      title={title}
      testId={testId}
      table={
        <FiguresTable
          caption={caption}
          head={head}
          rows={rows ?? bars.data.map((r) => [label(r.key), formatNumber(r.value)])}
        />
      }
    >
      {bars.data.length ? (
        <SimpleBars {...bars} />
      ) : (
        <Empty>{bars.names ? 'No provider activity.' : 'No tasks in this period.'}</Empty>
      )}
    </ChartCard>
  );
}

function SimpleBars({
  data,
  colorFor,
  unit,
  formatter,
  names = false,
}: {
  data: Array<{ key: string; value: number }>;
  colorFor: (key: string, i: number) => string;
  unit?: string;
  formatter?: (n: number) => string;
  /** Keys are names (providers) to show as they are, not identifiers to humanize. */
  names?: boolean;
}) {
  const fmt = formatter ?? formatNumber;
  return (
    <BarChart
      data={data}
      xKey="key"
      series={[{ dataKey: 'value', name: 'Value', colorOf: (d, i) => colorFor(d.key, i) }]}
      everyTick
      yUnit={unit}
      yWidth={unit ? 72 : 48}
      formatX={names ? undefined : humanize}
      formatValue={(n) => fmt(n)}
    />
  );
}

export function StatsPage() {
  usePageTitle('Statistics');
  const [range, setRange] = useState('7d');
  const hours = RANGES.find((r) => r.id === range)?.hours ?? 0;
  // Rounded to the minute so re-renders do not refetch.
  const since = hours
    ? new Date(Math.floor((Date.now() - hours * 3600_000) / 60_000) * 60_000).toISOString()
    : undefined;
  const stats = useAsync((s) => api.stats(since, s), [since]);
  const d = stats.data;
  // The server's per-day series when it sends one; otherwise the tasks are counted here.
  const serverDays = Array.isArray(d?.tasksOverTime) ? d.tasksOverTime : undefined;
  const countInBrowser = d !== undefined && !serverDays;
  const timeline = useAsync(
    (s) => (countInBrowser ? recentTasks(since, s) : Promise.resolve(null)),
    [since, countInBrowser],
  );

  const byStatus = recordToRows(d?.tasks.byStatus, TASK_STATUSES);
  const byType = recordToRows(d?.tasks.byType);
  const bySource = recordToRows(d?.tasks.bySource);
  const providers = d?.providers ?? [];
  const tokens = providers.map((p) => ({ key: p.name, value: p.tokensUsed ?? 0 }));
  const errorRates = providers.map((p) => ({
    key: p.name,
    value: Math.round((p.errorRate ?? 0) * 1000) / 10,
  }));
  const latency = providers.map((p) => ({ key: p.name, value: p.p50LatencyMs ?? 0 }));
  const bucket = serverDays ? 'day' : pickBucket(timeline.data?.tasks ?? []);
  const series = serverDays ? dailySeries(serverDays) : tasksOverTime(timeline.data?.tasks ?? [], bucket);
  const timelineLoading = countInBrowser && timeline.loading && !timeline.data;
  const timelineError = countInBrowser ? timeline.error : null;

  return (
    <section className="stack">
      <PageHeader title="Statistics">
        <label className="inline-field">
          <span>Period</span>
          <select className="input" value={range} onChange={(e) => setRange(e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          onClick={() => {
            stats.reload();
            if (countInBrowser) timeline.reload();
          }}
        >
          Refresh
        </button>
      </PageHeader>
      {stats.loading && !d ? (
        <Loading label="Loading statistics…" />
      ) : stats.error && !d ? (
        <ErrorMessage error={stats.error} onRetry={() => stats.reload()} />
      ) : d ? (
        <>
          {stats.error !== null && (
            <ErrorMessage error={stats.error} onRetry={() => stats.reload()} title="Showing older figures" />
          )}
          <dl className="stat-cards">
            <div className="card stat">
              <dt>Users</dt>
              <dd>{formatNumber(d.users.total)}</dd>
            </div>
            <div className="card stat">
              <dt>Tasks</dt>
              <dd data-testid="stat-tasks-total">{formatNumber(d.tasks.total)}</dd>
            </div>
            <div className="card stat">
              <dt>Queued now</dt>
              <dd>{formatNumber(d.queue.queued)}</dd>
            </div>
            <div className="card stat">
              <dt>Running now</dt>
              <dd>{formatNumber(d.queue.running)}</dd>
            </div>
            <div className="card stat">
              <dt>Failed jobs</dt>
              <dd>{formatNumber(d.queue.failed)}</dd>
            </div>
          </dl>

          <div className="chart-grid">
            <BarCard
              title="Tasks by status"
              testId="chart-tasks-by-status"
              head={['Status', 'Tasks']}
              data={byStatus}
              colorFor={(k, i) => STATUS_COLORS[k] ?? SERIES[i % SERIES.length]}
            />

            <ChartCard
              title="Tasks over time, by status"
              testId="chart-tasks-over-time"
              table={
                <FiguresTable
                  caption="Tasks over time"
                  head={['Period', ...TASK_STATUSES.map(humanize)]}
                  rows={series.map((r) => [r.label, ...TASK_STATUSES.map((s) => formatNumber(r[s]))])}
                />
              }
            >
              {timelineLoading ? (
                <Loading label="Loading recent tasks…" />
              ) : timelineError ? (
                <ErrorMessage error={timelineError} onRetry={() => timeline.reload()} />
              ) : series.length === 0 ? (
                <Empty>No tasks in this period.</Empty>
              ) : (
                <BarChart
                  data={series}
                  xKey="label"
                  series={TASK_STATUSES.map((s) => ({
                    dataKey: s,
                    name: s,
                    stack: 'status',
                    fill: STATUS_COLORS[s],
                  }))}
                  yWidth={40}
                  minTickGap={16}
                  legend={humanize}
                />
              )}
            </ChartCard>

            <BarCard
              title="Tokens used per provider"
              testId="chart-tokens-per-provider"
              caption="Tokens per provider"
              head={['Provider', 'Tokens']}
              data={tokens}
              names
              colorFor={(_, i) => SERIES[i % SERIES.length]}
            />

            <BarCard
              title="Error rate per provider"
              testId="chart-error-rate"
              head={['Provider', 'Error rate', 'Completed', 'Failed']}
              rows={providers.map((p) => [
                p.name,
                formatPercent(p.errorRate),
                formatNumber(p.tasksCompleted),
                formatNumber(p.tasksFailed),
              ])}
              data={errorRates}
              names
              unit="%"
              formatter={(n) => `${n} %`}
              colorFor={(_, i) => SERIES[(i + 3) % SERIES.length]}
            />

            <BarCard
              title="Median (p50) latency per provider"
              testId="chart-latency"
              caption="p50 latency per provider"
              head={['Provider', 'p50 latency']}
              rows={providers.map((p) => [p.name, formatMs(p.p50LatencyMs)])}
              data={latency}
              names
              unit=" ms"
              formatter={(n) => formatMs(n)}
              colorFor={(_, i) => SERIES[(i + 5) % SERIES.length]}
            />

            <BarCard
              title="Tasks by type"
              testId="chart-tasks-by-type"
              head={['Type', 'Tasks']}
              data={byType}
              colorFor={(_, i) => SERIES[i % SERIES.length]}
            />

            <BarCard
              title="Tasks by source"
              testId="chart-tasks-by-source"
              head={['Source', 'Tasks']}
              data={bySource}
              colorFor={(_, i) => SERIES[(i + 2) % SERIES.length]}
            />
          </div>
          <p className="hint" data-testid="tasks-over-time-note">
            {serverDays ? (
              <>
                “Tasks over time” shows the tasks created on each day (UTC), as counted by the server
                {range === 'all' ? '; with no period chosen it covers the most recent days only' : ''}.
              </>
            ) : (
              <>
                This server’s statistics have no time series, so “Tasks over time” is counted in the browser
                from up to {TIMELINE_PAGES * TIMELINE_PAGE_SIZE} of the most recent tasks in the chosen
                period, grouped by {bucket} of creation.
                {timeline.data?.capped ? ' Older tasks in the period are not included.' : ''}
              </>
            )}
          </p>
        </>
      ) : null}
    </section>
  );
}
