/**
 * Budget periods follow the calendar in UTC, not fixed lengths: a daily budget resets at 00:00 UTC,
 * a weekly one on Monday 00:00 UTC (ISO weeks), a monthly one on the 1st at 00:00 UTC — so a
 * January budget lasts 31 days and a February one 28 or 29, never "30 days from creation".
 */
export type ResetPeriod = 'daily' | 'weekly' | 'monthly' | 'none';

export const RESET_PERIODS: readonly ResetPeriod[] = ['daily', 'weekly', 'monthly', 'none'];

/** The first period boundary strictly after `from`; null for `none`. */
export function nextReset(period: ResetPeriod, from: Date): Date | null {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth();
  const d = from.getUTCDate();
  switch (period) {
    case 'daily':
      return new Date(Date.UTC(y, m, d + 1));
    case 'weekly': {
      // getUTCDay: 0 = Sunday … 6 = Saturday. Days until the next Monday, 1..7 (a Monday goes to the following one).
      const day = from.getUTCDay();
      const ahead = (8 - day) % 7 || 7;
      return new Date(Date.UTC(y, m, d + ahead));
    }
    case 'monthly':
      // Date.UTC normalises month 12 to January of the next year.
      return new Date(Date.UTC(y, m + 1, 1));
    case 'none':
      return null;
  }
}

/** The start of the period that contains `at` (for display: "this period began …"); null for `none`. */
export function periodStart(period: ResetPeriod, at: Date): Date | null {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  switch (period) {
    case 'daily':
      return new Date(Date.UTC(y, m, d));
    case 'weekly': {
      const back = (at.getUTCDay() + 6) % 7; // days since Monday
      return new Date(Date.UTC(y, m, d - back));
    }
    case 'monthly':
      return new Date(Date.UTC(y, m, 1));
    case 'none':
      return null;
  }
}
