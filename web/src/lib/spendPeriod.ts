/** The periods the Spend page offers, as the [from, to) the usage report takes (ISO dates, UTC). */

export const SPEND_PERIODS = ['thisMonth', 'lastMonth', 'last7Days', 'custom'] as const;
export type SpendPeriod = (typeof SPEND_PERIODS)[number];

export const SPEND_PERIOD_LABELS: Record<SpendPeriod, string> = {
  thisMonth: 'This month',
  lastMonth: 'Last month',
  last7Days: 'Last 7 days',
  custom: 'Custom',
};

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

/**
 * `custom` takes the first and last day the user picked (both included), so `to` is the day after
 * the last one. Returns null when a custom range is incomplete or backwards.
 */
export function spendPeriodRange(
  period: SpendPeriod,
  now: Date,
  custom: { from: string; to: string } = { from: '', to: '' },
): { from: string; to: string } | null {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  switch (period) {
    case 'thisMonth':
      return { from: isoDay(new Date(Date.UTC(y, m, 1))), to: isoDay(new Date(Date.UTC(y, m + 1, 1))) };
    case 'lastMonth':
      return { from: isoDay(new Date(Date.UTC(y, m - 1, 1))), to: isoDay(new Date(Date.UTC(y, m, 1))) };
    case 'last7Days': {
      const tomorrow = Date.UTC(y, m, now.getUTCDate() + 1);
      return { from: isoDay(new Date(tomorrow - 7 * DAY_MS)), to: isoDay(new Date(tomorrow)) };
    }
    case 'custom': {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(custom.from) || !/^\d{4}-\d{2}-\d{2}$/.test(custom.to)) return null;
      if (custom.to < custom.from) return null;
      const to = new Date(`${custom.to}T00:00:00Z`).getTime() + DAY_MS;
      return { from: custom.from, to: isoDay(new Date(to)) };
    }
  }
}
