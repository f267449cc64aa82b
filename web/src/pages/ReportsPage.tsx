import { useState } from 'react';
import { api } from '../api/client';
import { saveBlob } from '../api/contentDisposition';
import { BarChart } from '../components/BarChart';
import { ConfirmButton } from '../components/ConfirmButton';
import { AsyncTable, DataTable } from '../components/DataTable';
import { PageHeader } from '../components/Layout';
import { Empty, ErrorMessage, Loading } from '../components/Status';
import { useCurrentTeam } from '../lib/currentTeam';
import { formatDateTime, formatNumber } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';

const GROUP_BYS = ['day', 'user', 'team', 'provider', 'taskType', 'source'] as const;

/** `YYYY-MM` → the month's [from, to) as ISO dates. */
export function monthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const to = new Date(Date.UTC(y, m, 1));
  return { from: `${month}-01`, to: to.toISOString().slice(0, 10) };
}

/** Usage of the current team (or, for site admins without a team, everyone) for one month. */
export function ReportsPage() {
  usePageTitle('Reports');
  const [team] = useCurrentTeam();
  const [month, setMonth] = useState(() => new Date().toISOString().slice(0, 7));
  const [groupBy, setGroupBy] = useState<(typeof GROUP_BYS)[number]>('day');
  const query = { ...monthRange(month), groupBy, ...(team ? { teamId: team } : {}) };
  const report = useAsync((s) => api.usageReport(query, s), [month, groupBy, team]);
  const csv = useAction(async () =>
    saveBlob(await api.usageReportCsv(query), `usage-${groupBy}-${month}.csv`),
  );
  const items = report.data?.items ?? [];

  return (
    <>
      <PageHeader title="Reports">
        <button type="button" className="btn" disabled={csv.pending} onClick={() => csv.run()}>
          Download CSV
        </button>
      </PageHeader>
      <div className="row">
        <label>
          Month
          <input type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
        </label>
        <label>
          Group by
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as (typeof GROUP_BYS)[number])}>
            {GROUP_BYS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
      </div>
      {report.error ? <ErrorMessage error={report.error} onRetry={() => report.reload()} /> : null}
      {csv.error ? <ErrorMessage error={csv.error} /> : null}
      {report.loading && !report.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No tasks in this month.</Empty>
      ) : (
        <>
          <BarChart
            data={items}
            xKey="label"
            series={[
              { dataKey: 'completed', name: 'Completed', fill: '#16a34a', stack: 't' },
              { dataKey: 'failed', name: 'Failed', fill: '#dc2626', stack: 't' },
            ]}
          />
          <DataTable
            rows={items}
            caption={`Usage by ${groupBy}`}
            rowKey={(r) => r.key}
            columns={[
              { header: groupBy, rowHeader: true, cell: (r) => r.label },
              { header: 'Tasks', cell: (r) => formatNumber(r.tasks) },
              { header: 'Completed', cell: (r) => formatNumber(r.completed) },
              { header: 'Failed', cell: (r) => formatNumber(r.failed) },
              { header: 'Tokens', cell: (r) => formatNumber(r.tokens) },
              { header: 'p50 ms', cell: (r) => r.p50LatencyMs ?? '—' },
              { header: 'p95 ms', cell: (r) => r.p95LatencyMs ?? '—' },
            ]}
          />
        </>
      )}
      <FailureReasons range={monthRange(month)} team={team} />
      <ReportSchedules />
    </>
  );
}

/** Failed attempts of the range (and team) by error code, most first. */
export function FailureReasons({
  range,
  team,
}: {
  range: { from: string; to: string };
  team: string | null;
}) {
  const query = { ...range, ...(team ? { teamId: team } : {}) };
  const report = useAsync((s) => api.failureReport(query, s), [range.from, range.to, team]);
  return (
    <section className="stack" aria-labelledby="failures-heading">
      <h2 id="failures-heading">Failure reasons</h2>
      <AsyncTable
        state={report}
        loadingLabel="Loading failure reasons…"
        empty="No failed attempts in this month."
        caption="Failure reasons"
        rowKey={(r) => r.code}
        columns={[
          { header: 'Reason', rowHeader: true, cell: (r) => <span title={r.code}>{r.label}</span> },
          { header: 'Attempts', cell: (r) => formatNumber(r.attempts) },
          { header: 'Failed tasks', cell: (r) => formatNumber(r.tasks) },
          { header: 'Providers', cell: (r) => r.providers.join(', ') || '—' },
          { header: 'Last', cell: (r) => formatDateTime(r.lastAt) },
          { header: 'Latest message', cell: (r) => r.example ?? '—' },
        ]}
      />
    </section>
  );
}

/** Where a schedule sends its report, in words. */
function destination(to: Record<string, unknown>): string {
  if (typeof to.webhookId === 'string') return `webhook ${to.webhookId.slice(0, 8)}`;
  return `${String(to.platform)} #${String(to.channel)}`;
}

/** The scheduled reports the user may manage (their own, their teams', all for site admins), with delete. */
export function ReportSchedules() {
  const schedules = useAsync((s) => api.reportSchedules(s), []);
  const remove = useAction(async (id: string) => {
    await api.deleteReportSchedule(id);
    schedules.reload({ silent: true });
  });
  return (
    <section className="stack" aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Scheduled reports</h2>
      {remove.error !== null && <ErrorMessage error={remove.error} title="Could not delete" />}
      <AsyncTable
        state={schedules}
        loadingLabel="Loading scheduled reports…"
        empty="No scheduled reports."
        caption="Scheduled reports"
        rowKey={(s) => s.id}
        columns={[
          { header: 'Report', rowHeader: true, cell: (s) => `${s.report} by ${s.groupBy}` },
          { header: 'Every', cell: (s) => s.every },
          { header: 'Sent to', cell: (s) => destination(s.deliverTo) },
          { header: 'Next run', cell: (s) => formatDateTime(s.nextRunAt) },
          { header: 'Last sent', cell: (s) => (s.lastSentAt ? formatDateTime(s.lastSentAt) : '—') },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (s) => (
              <ConfirmButton
                label="Delete"
                accessibleName={`Delete schedule ${s.report} by ${s.groupBy} to ${destination(s.deliverTo)}`}
                question="Delete this schedule?"
                onConfirm={() => remove.run(s.id)}
              />
            ),
          },
        ]}
      />
    </section>
  );
}
