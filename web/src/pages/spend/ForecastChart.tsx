import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { BudgetForecast, SpendBudget } from '../../api/types';
import { formatUsd, microsToDollars } from '../../lib/money';

const DAY_MS = 86_400_000;
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
export const formatDay = (t: number | string) => day.format(new Date(t));

/** When the budget's current period began (approximate for the chart: calendar maths in UTC). */
export function periodStart(b: Pick<SpendBudget, 'period' | 'resetsAt' | 'createdAt'>): number {
  const created = new Date(b.createdAt).getTime();
  if (b.period === 'total' || !b.resetsAt) return created;
  const end = new Date(b.resetsAt);
  let start: number;
  if (b.period === 'daily') start = end.getTime() - DAY_MS;
  else if (b.period === 'weekly') start = end.getTime() - 7 * DAY_MS;
  else {
    const s = new Date(end);
    s.setUTCMonth(s.getUTCMonth() - 1);
    start = s.getTime();
  }
  return Math.max(start, Math.min(created, end.getTime()));
}

interface Point {
  t: number;
  spent?: number;
  projected?: number;
}

/**
 * The points of the chart: what is spent (and reserved) so far, drawn from the period's start, then
 * the projection at the current burn rate to the period's end (for a `total` budget, to the run-out
 * date or a week ahead).
 */
export function forecastPoints(b: SpendBudget, f: BudgetForecast, now: number): Point[] {
  const used = microsToDollars(b.spentMicros + b.reservedMicros);
  const start = Math.min(periodStart(b), now);
  const end = b.resetsAt
    ? new Date(b.resetsAt).getTime()
    : f.runsOutAt
      ? new Date(f.runsOutAt).getTime()
      : now + 7 * DAY_MS;
  const projectedAtEnd =
    b.resetsAt || !f.runsOutAt
      ? microsToDollars(f.projectedPeriodSpendMicros)
      : used + (microsToDollars(f.burnRatePerDayMicros) * (end - now)) / DAY_MS;
  const points: Point[] = [{ t: start, spent: 0 }];
  if (now > start) points.push({ t: now, spent: used, projected: used });
  else points[0] = { t: start, spent: used, projected: used };
  if (end > now) points.push({ t: end, projected: projectedAtEnd });
  return points;
}

/** Spent so far and the projected spend to the period's end, with the limit and the run-out date marked. */
export function ForecastChart({
  budget,
  forecast,
  now = Date.now(),
  width,
}: {
  budget: SpendBudget;
  forecast: BudgetForecast;
  now?: number;
  /** A fixed width (tests); otherwise the chart fills its container. */
  width?: number;
}) {
  const data = forecastPoints(budget, forecast, now);
  const runsOut = forecast.runsOutAt ? new Date(forecast.runsOutAt).getTime() : null;
  const limit = budget.limitMicros === null ? null : microsToDollars(budget.limitMicros);
  const chart = (
    <LineChart
      data={data}
      width={width}
      height={width ? 220 : undefined}
      margin={{ top: 16, right: 16, left: 8, bottom: 8 }}
    >
      <CartesianGrid strokeDasharray="3 3" vertical={false} />
      <XAxis
        dataKey="t"
        type="number"
        scale="time"
        domain={['dataMin', 'dataMax']}
        tickFormatter={formatDay}
        fontSize={12}
      />
      <YAxis fontSize={12} width={64} tickFormatter={(v: number) => `$${v}`} />
      <Tooltip
        labelFormatter={(t) => formatDay(Number(t))}
        formatter={(v) => formatUsd(Math.round(Number(v) * 1_000_000))}
      />
      <Legend />
      <Line
        dataKey="spent"
        name="Spent so far"
        stroke="#2563eb"
        strokeWidth={2}
        connectNulls
        isAnimationActive={false}
      />
      <Line
        dataKey="projected"
        name="Projected"
        stroke="#f59e0b"
        strokeDasharray="6 4"
        strokeWidth={2}
        connectNulls
        isAnimationActive={false}
      />
      {limit !== null && (
        <ReferenceLine y={limit} stroke="#dc2626" label={{ value: 'Limit', position: 'insideTopLeft' }} />
      )}
      {runsOut !== null && (
        <ReferenceLine
          x={runsOut}
          stroke="#dc2626"
          strokeDasharray="3 3"
          label={{ value: `Runs out ${formatDay(runsOut)}`, position: 'insideTopRight' }}
        />
      )}
    </LineChart>
  );
  return (
    <figure className="stack forecast-figure" data-testid="forecast">
      {width ? (
        chart
      ) : (
        <div style={{ width: '100%', height: 220 }}>
          <ResponsiveContainer>{chart}</ResponsiveContainer>
        </div>
      )}
      <figcaption className="small">
        Burning {formatUsd(forecast.burnRatePerDayMicros)} a day (last {forecast.windowDays} days); projected{' '}
        {formatUsd(forecast.projectedPeriodSpendMicros)}{' '}
        {budget.period === 'total' ? 'in all' : 'this period'}
        {limit !== null && ` of ${formatUsd(budget.limitMicros)}`}.{' '}
        {runsOut !== null ? (
          <strong data-testid="runs-out">
            Runs out on <time dateTime={forecast.runsOutAt ?? undefined}>{formatDay(runsOut)}</time>.
          </strong>
        ) : budget.limitMicros === null ? null : budget.resetsAt ? (
          <span>Does not run out before the reset on {formatDay(budget.resetsAt)}.</span>
        ) : (
          <span>Does not run out at this rate.</span>
        )}
      </figcaption>
    </figure>
  );
}
