import { describe, expect, it } from 'vitest';
import { nextReset, periodStart } from '../../src/core/budgets/resetSchedule.js';

const d = (s: string) => new Date(s);
const next = (p: Parameters<typeof nextReset>[0], s: string) => nextReset(p, d(s))?.toISOString() ?? null;

describe('calendar budget resets (UTC)', () => {
  it('daily: the next midnight UTC, strictly after', () => {
    expect(next('daily', '2026-03-10T12:34:56Z')).toBe('2026-03-11T00:00:00.000Z');
    expect(next('daily', '2026-03-10T00:00:00Z')).toBe('2026-03-11T00:00:00.000Z');
    expect(next('daily', '2026-03-10T23:59:59.999Z')).toBe('2026-03-11T00:00:00.000Z');
    expect(next('daily', '2026-12-31T08:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('daily', '2028-02-28T10:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('daily: a non-UTC offset is read in UTC', () => {
    // 01:30 on the 11th in UTC+02:00 is 23:30 on the 10th UTC.
    expect(next('daily', '2026-03-11T01:30:00+02:00')).toBe('2026-03-11T00:00:00.000Z');
  });

  it('weekly: the next Monday 00:00 UTC', () => {
    expect(next('weekly', '2026-03-11T09:00:00Z')).toBe('2026-03-16T00:00:00.000Z'); // Wednesday
    expect(next('weekly', '2026-03-15T23:59:59Z')).toBe('2026-03-16T00:00:00.000Z'); // Sunday night
    expect(next('weekly', '2026-03-16T00:00:00Z')).toBe('2026-03-23T00:00:00.000Z'); // Monday, exactly on the boundary
    expect(next('weekly', '2026-03-16T00:00:01Z')).toBe('2026-03-23T00:00:00.000Z');
    expect(next('weekly', '2026-12-30T12:00:00Z')).toBe('2027-01-04T00:00:00.000Z'); // across the year
  });

  it('monthly: the 1st of the next month, whatever the month length', () => {
    expect(next('monthly', '2026-01-31T23:59:59Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('monthly', '2026-01-15T00:00:00Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('monthly', '2026-02-28T12:00:00Z')).toBe('2026-03-01T00:00:00.000Z'); // not a leap year
    expect(next('monthly', '2028-02-29T12:00:00Z')).toBe('2028-03-01T00:00:00.000Z'); // leap day
    expect(next('monthly', '2026-04-30T23:00:00Z')).toBe('2026-05-01T00:00:00.000Z');
    expect(next('monthly', '2026-12-31T23:59:59Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('monthly', '2026-03-01T00:00:00Z')).toBe('2026-04-01T00:00:00.000Z'); // exactly on the boundary
  });

  it('monthly is the calendar, not 30 days: January lasts 31 days and February 28', () => {
    const jan = nextReset('monthly', d('2026-01-01T00:00:00Z'))!;
    const feb = nextReset('monthly', jan)!;
    const mar = nextReset('monthly', feb)!;
    expect((feb.getTime() - jan.getTime()) / 86_400_000).toBe(28);
    expect((jan.getTime() - d('2026-01-01T00:00:00Z').getTime()) / 86_400_000).toBe(31);
    expect((mar.getTime() - feb.getTime()) / 86_400_000).toBe(31);
  });

  it('none never resets', () => {
    expect(nextReset('none', d('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it('periodStart gives the boundary that began the current period', () => {
    expect(periodStart('daily', d('2026-03-10T12:00:00Z'))!.toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(periodStart('weekly', d('2026-03-15T23:00:00Z'))!.toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(periodStart('weekly', d('2026-03-16T00:00:00Z'))!.toISOString()).toBe('2026-03-16T00:00:00.000Z');
    expect(periodStart('monthly', d('2026-03-31T23:00:00Z'))!.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
});
