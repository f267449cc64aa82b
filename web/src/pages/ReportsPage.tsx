import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../api/client';
import { saveBlob } from '../api/contentDisposition';
import { ConfirmButton } from '../components/ConfirmButton';
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
          <div style={{ width: '100%', height: 260 }}>
            <ResponsiveContainer>
              <BarChart data={items} margin={{ top: 8, right: 8, left: 0, bottom: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" fontSize={12} />
                <YAxis allowDecimals={false} fontSize={12} width={48} />
                <Tooltip />
                <Bar
                  dataKey="completed"
                  stackId="t"
                  name="Completed"
                  fill="#16a34a"
                  isAnimationActive={false}
                />
                <Bar dataKey="failed" stackId="t" name="Failed" fill="#dc2626" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{groupBy}</th>
                <th scope="col">Tasks</th>
                <th scope="col">Completed</th>
                <th scope="col">Failed</th>
                <th scope="col">Tokens</th>
                <th scope="col">p50 ms</th>
                <th scope="col">p95 ms</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.label}</th>
                  <td>{formatNumber(r.tasks)}</td>
                  <td>{formatNumber(r.completed)}</td>
                  <td>{formatNumber(r.failed)}</td>
                  <td>{formatNumber(r.tokens)}</td>
                  <td>{r.p50LatencyMs ?? '—'}</td>
                  <td>{r.p95LatencyMs ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
  const items = report.data?.items ?? [];
  return (
    <section className="stack" aria-labelledby="failures-heading">
      <h2 id="failures-heading">Failure reasons</h2>
      {report.error ? <ErrorMessage error={report.error} onRetry={() => report.reload()} /> : null}
      {report.loading && !report.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No failed attempts in this month.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Attempts</th>
              <th scope="col">Failed tasks</th>
              <th scope="col">Providers</th>
              <th scope="col">Last</th>
              <th scope="col">Latest message</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.code}>
                <th scope="row" title={r.code}>
                  {r.label}
                </th>
                <td>{formatNumber(r.attempts)}</td>
                <td>{formatNumber(r.tasks)}</td>
                <td>{r.providers.join(', ') || '—'}</td>
                <td>{formatDateTime(r.lastAt)}</td>
                <td>{r.example ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
  const items = schedules.data?.items ?? [];
  return (
    <section className="stack" aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Scheduled reports</h2>
      {schedules.error ? <ErrorMessage error={schedules.error} onRetry={() => schedules.reload()} /> : null}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Could not delete" />}
      {schedules.loading && !schedules.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No scheduled reports.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Report</th>
              <th scope="col">Every</th>
              <th scope="col">Sent to</th>
              <th scope="col">Next run</th>
              <th scope="col">Last sent</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <th scope="row">
                  {s.report} by {s.groupBy}
                </th>
                <td>{s.every}</td>
                <td>{destination(s.deliverTo)}</td>
                <td>{formatDateTime(s.nextRunAt)}</td>
                <td>{s.lastSentAt ? formatDateTime(s.lastSentAt) : '—'}</td>
                <td>
                  <ConfirmButton
                    label="Delete"
                    accessibleName={`Delete schedule ${s.report} by ${s.groupBy} to ${destination(s.deliverTo)}`}
                    question="Delete this schedule?"
                    onConfirm={() => remove.run(s.id)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
