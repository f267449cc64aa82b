import {
  Bar,
  CartesianGrid,
  Cell,
  Legend,
  BarChart as RechartsBarChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

/** Mirrors the card colours in styles.css (the tooltip is drawn by recharts, outside our classes). */
const TOOLTIP_STYLE = {
  background: 'var(--color-surface)',
  border: '1px solid var(--color-border)',
  borderRadius: 8,
};

export interface BarSeries<T> {
  /** The field of each row drawn by this series. */
  dataKey: keyof T & string;
  /** Its name in the tooltip and the legend. */
  name: string;
  /** SVG fill (a concrete colour); or per bar with `colorOf`. */
  fill?: string;
  /** Series with the same stack are drawn on top of each other. */
  stack?: string;
  /** One colour per bar (a chart of categories). */
  colorOf?: (row: T, index: number) => string;
}

/**
 * The portal's bar chart: a grid of horizontal lines, the x axis from `xKey`, whole numbers on the y
 * axis unless `decimals`, the shared tooltip style, no animation (tests and screenshots see the final
 * bars). Put the numbers in a table next to it as well: a chart alone is not accessible.
 */
export function BarChart<T extends object>({
  data,
  series,
  xKey,
  height = 260,
  yWidth = 48,
  yUnit,
  decimals = false,
  formatX,
  formatY,
  formatValue,
  legend,
  minTickGap,
  everyTick = false,
}: {
  data: readonly T[];
  series: Array<BarSeries<T>>;
  xKey: keyof T & string;
  height?: number;
  yWidth?: number;
  yUnit?: string;
  /** Allow fractional ticks on the y axis. */
  decimals?: boolean;
  /** How an x value reads (axis ticks and the tooltip's heading). */
  formatX?: (x: string) => string;
  /** How a y tick reads. */
  formatY?: (y: number) => string;
  /** How a value reads in the tooltip, given its row. */
  formatValue?: (value: number, row: T) => string;
  /** Show a legend, its entries read through this. */
  legend?: (name: string) => string;
  minTickGap?: number;
  /** Label every bar on the x axis (categories) rather than as many as fit (time). */
  everyTick?: boolean;
}) {
  const x = formatX ? (v: unknown) => formatX(String(v)) : undefined;
  return (
    <ResponsiveContainer width="100%" height={height}>
      <RechartsBarChart
        data={data as unknown as Array<Record<string, unknown>>}
        margin={{ top: 8, right: 8, left: 0, bottom: 8 }}
      >
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey={xKey as string}
          tickFormatter={x}
          interval={everyTick ? 0 : undefined}
          minTickGap={minTickGap}
          fontSize={12}
        />
        <YAxis allowDecimals={decimals} fontSize={12} unit={yUnit} width={yWidth} tickFormatter={formatY} />
        <Tooltip
          formatter={formatValue ? (v, _name, item) => formatValue(Number(v), item.payload as T) : undefined}
          labelFormatter={x}
          contentStyle={TOOLTIP_STYLE}
        />
        {legend && <Legend formatter={(v) => legend(String(v))} />}
        {series.map((s) => (
          <Bar
            key={s.dataKey}
            dataKey={s.dataKey as string}
            name={s.name}
            fill={s.fill}
            stackId={s.stack}
            isAnimationActive={false}
          >
            {s.colorOf && data.map((row, i) => <Cell key={String(row[xKey])} fill={s.colorOf?.(row, i)} />)}
          </Bar>
        ))}
      </RechartsBarChart>
    </ResponsiveContainer>
  );
}
