import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../api/client';
import { InlineInput, InlineSelect } from '../../components/Field';
import { Card } from '../../components/Layout';
import { Empty, ErrorMessage, Loading, Notice } from '../../components/Status';
import { formatNumber } from '../../lib/format';
import { useAsync } from '../../lib/hooks';
import { formatUsd, microsToDollars } from '../../lib/money';
import {
  SPEND_PERIOD_LABELS,
  SPEND_PERIODS,
  type SpendPeriod,
  spendPeriodRange,
} from '../../lib/spendPeriod';

export const SPEND_GROUP_BYS = ['team', 'user', 'provider'] as const;
export type SpendGroupBy = (typeof SPEND_GROUP_BYS)[number];

/**
 * Cost per team, user or provider over a period, as a bar chart and a table with totals. Site
 * admins see the whole site (or the team in the switcher); others see a team they administer.
 */
export function UsageSection({ teamId, isAdmin }: { teamId: string | null; isAdmin: boolean }) {
  const [period, setPeriod] = useState<SpendPeriod>('thisMonth');
  const [custom, setCustom] = useState({ from: '', to: '' });
  const [groupBy, setGroupBy] = useState<SpendGroupBy>('team');
  const range = useMemo(() => spendPeriodRange(period, new Date(), custom), [period, custom]);
  const allowed = isAdmin || teamId !== null;
  const query = range ? { ...range, groupBy, ...(teamId ? { teamId } : {}) } : null;
  const report = useAsync(
    (s) => (query && allowed ? api.usageReport(query, s) : Promise.resolve(null)),
    [query?.from, query?.to, groupBy, teamId, allowed],
  );
  const items = report.data?.items ?? [];
  const rows = items.map((r) => ({ ...r, dollars: microsToDollars(r.costMicros) }));
  const total = items.reduce(
    (t, r) => ({
      tasks: t.tasks + r.tasks,
      tokens: t.tokens + r.tokens,
      costMicros: t.costMicros + r.costMicros,
    }),
    { tasks: 0, tokens: 0, costMicros: 0 },
  );

  return (
    <Card title="Cost">
      <div className="toolbar">
        <InlineSelect
          label="Period"
          value={period}
          onChange={(v) => setPeriod(v as SpendPeriod)}
          options={SPEND_PERIODS.map((p) => ({ value: p, label: SPEND_PERIOD_LABELS[p] }))}
        />
        {period === 'custom' && (
          <>
            <InlineInput
              label="From"
              type="date"
              value={custom.from}
              onChange={(from) => setCustom((c) => ({ ...c, from }))}
            />
            <InlineInput
              label="To"
              type="date"
              value={custom.to}
              onChange={(to) => setCustom((c) => ({ ...c, to }))}
            />
          </>
        )}
        <fieldset className="segmented" aria-label="Group by">
          <legend className="visually-hidden">Group by</legend>
          {SPEND_GROUP_BYS.map((g) => (
            <label key={g} className="choice">
              <input
                type="radio"
                name="spend-group-by"
                value={g}
                checked={groupBy === g}
                onChange={() => setGroupBy(g)}
              />
              <span>{g[0].toUpperCase() + g.slice(1)}</span>
            </label>
          ))}
        </fieldset>
      </div>
      {!allowed ? (
        <Notice kind="info">
          Spend across teams is for site admins. Pick a team you administer in the team switcher to see its
          spend.
        </Notice>
      ) : !range ? (
        <Notice kind="info">Pick the first and last day of the range.</Notice>
      ) : report.error ? (
        <ErrorMessage error={report.error} onRetry={() => report.reload()} />
      ) : report.loading && !report.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No spend in this period.</Empty>
      ) : (
        <>
          <div style={{ width: '100%', height: 260 }}>
            <ResponsiveContainer>
              <BarChart data={rows} margin={{ top: 8, right: 8, left: 8, bottom: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" fontSize={12} />
                <YAxis fontSize={12} width={64} tickFormatter={(v: number) => `$${v}`} />
                <Tooltip formatter={(_v, _n, item) => formatUsd(item.payload.costMicros)} />
                <Bar dataKey="dollars" name="Cost" fill="#2563eb" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Cost by {groupBy}</caption>
              <thead>
                <tr>
                  <th scope="col">{groupBy[0].toUpperCase() + groupBy.slice(1)}</th>
                  <th scope="col">Tasks</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Cost</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.key}>
                    <th scope="row">{r.label}</th>
                    <td>{formatNumber(r.tasks)}</td>
                    <td>{formatNumber(r.tokens)}</td>
                    <td>{formatUsd(r.costMicros)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td>{formatNumber(total.tasks)}</td>
                  <td>{formatNumber(total.tokens)}</td>
                  <td data-testid="spend-total">{formatUsd(total.costMicros)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </Card>
  );
}
