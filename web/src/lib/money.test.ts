import { describe, expect, it } from 'vitest';
import { formatUsd, microsToDollarString, parseDollars } from './money';
import { spendPeriodRange } from './spendPeriod';

const micros = (s: string) => {
  const r = parseDollars(s);
  if (!r.ok) throw new Error(r.error);
  return r.micros;
};

describe('dollars ↔ micro-dollars', () => {
  it('parses decimal strings exactly, where a float multiplication would not', () => {
    // 8.2 * 1e6 = 8199999.999999999 and 1.005 * 1e6 = 1004999.9999999999 in floating point.
    expect(8.2 * 1_000_000).not.toBe(8_200_000);
    expect(micros('8.2')).toBe(8_200_000);
    expect(micros('0.29')).toBe(290_000);
    expect(micros('1.005')).toBe(1_005_000);
    expect(micros('19.99')).toBe(19_990_000);
    expect(micros('0.000001')).toBe(1);
    expect(micros('25')).toBe(25_000_000);
    expect(micros('.5')).toBe(500_000);
    expect(micros('12.')).toBe(12_000_000);
    expect(micros(' $1,234.56 ')).toBe(1_234_560_000);
    expect(micros('0.1000000')).toBe(100_000); // trailing zeros beyond 6 places are harmless
    expect(micros('9007199254.740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', '.', '-1', 'abc', '1e3', '1.2.3', '12,34', '0.0000001', '9007199254.740992'])
      expect(parseDollars(bad).ok, bad).toBe(false);
  });

  it('round-trips every micro-dollar string exactly', () => {
    for (const m of [0, 1, 10, 290_000, 1_005_000, 19_990_000, 123_456_789, Number.MAX_SAFE_INTEGER]) {
      expect(micros(microsToDollarString(m))).toBe(m);
    }
    expect(microsToDollarString(12_500_000)).toBe('12.5');
    expect(microsToDollarString(1)).toBe('0.000001');
    expect(microsToDollarString(3_000_000)).toBe('3');
  });

  it('shows dollars with sensible precision', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(1_234_567_890)).toBe('$1,234.57');
    expect(formatUsd(50_000)).toBe('$0.05');
    expect(formatUsd(4_200)).toBe('$0.0042');
    expect(formatUsd(1)).toBe('$0.000001');
    expect(formatUsd(5_000)).toBe('$0.005');
    expect(formatUsd(15_000)).toBe('$0.02'); // half a cent rounds up
    expect(formatUsd(-2_500_000)).toBe('-$2.50');
    expect(formatUsd(null)).toBe('—');
  });
});

describe('spend periods', () => {
  const now = new Date('2026-01-15T10:00:00Z');
  it('this month, last month (across a year end) and the last 7 days including today', () => {
    expect(spendPeriodRange('thisMonth', now)).toEqual({ from: '2026-01-01', to: '2026-02-01' });
    expect(spendPeriodRange('lastMonth', now)).toEqual({ from: '2025-12-01', to: '2026-01-01' });
    expect(spendPeriodRange('last7Days', now)).toEqual({ from: '2026-01-09', to: '2026-01-16' });
  });
  it('a custom range includes its last day; an incomplete or backwards one is null', () => {
    expect(spendPeriodRange('custom', now, { from: '2026-01-03', to: '2026-01-05' })).toEqual({
      from: '2026-01-03',
      to: '2026-01-06',
    });
    expect(spendPeriodRange('custom', now, { from: '2026-01-03', to: '' })).toBeNull();
    expect(spendPeriodRange('custom', now, { from: '2026-01-05', to: '2026-01-03' })).toBeNull();
  });
});
