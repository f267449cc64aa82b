import { useMemo, useState } from 'react';
import { api } from '../../api/client';
import { BarChart } from '../../components/BarChart';
import { DataTable } from '../../components/DataTable';
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
          <BarChart
            data={rows}
            xKey="label"
            series={[{ dataKey: 'dollars', name: 'Cost', fill: '#2563eb' }]}
            decimals
            yWidth={64}
            formatY={(v) => `$${v}`}
            formatValue={(_v, r) => formatUsd(r.costMicros)}
          />
          <DataTable
            rows={items}
            caption={`Cost by ${groupBy}`}
            rowKey={(r) => r.key}
            columns={[
              {
                header: groupBy[0].toUpperCase() + groupBy.slice(1),
                rowHeader: true,
                cell: (r) => r.label,
                footer: 'Total',
              },
              { header: 'Tasks', cell: (r) => formatNumber(r.tasks), footer: formatNumber(total.tasks) },
              { header: 'Tokens', cell: (r) => formatNumber(r.tokens), footer: formatNumber(total.tokens) },
              {
                header: 'Cost',
                cell: (r) => formatUsd(r.costMicros),
                footer: <span data-testid="spend-total">{formatUsd(total.costMicros)}</span>,
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}
