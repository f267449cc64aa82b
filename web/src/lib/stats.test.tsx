import { describe, expect, it } from 'vitest';
import { dailySeries, recordToRows } from './stats';

describe('dailySeries (the server’s tasks per UTC day)', () => {
  it('orders the days, fills the days without tasks with zeros and labels them in UTC', () => {
    const rows = dailySeries([
      { date: '2026-03-04', total: 2, failed: 2 },
      { date: '2026-03-01', total: 3, completed: 2, queued: 1 },
    ]);
    expect(rows.map((r) => r.bucket)).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
      '2026-03-03T00:00:00.000Z',
      '2026-03-04T00:00:00.000Z',
    ]);
    expect(rows[0]).toMatchObject({ queued: 1, running: 0, completed: 2, failed: 0, cancelled: 0 });
    expect(rows[1]).toMatchObject({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(rows[3]).toMatchObject({ failed: 2, completed: 0 });
    const label = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    expect(rows[0]!.label).toBe(label.format(Date.UTC(2026, 2, 1)));
  });

  it('is empty without days, and skips a day it cannot read', () => {
    expect(dailySeries([])).toEqual([]);
    expect(dailySeries([{ date: 'not a date', total: 1, queued: 1 }])).toEqual([]);
    expect(dailySeries([{ date: '2026-01-05', total: 1, running: 1 }])).toHaveLength(1);
  });
});

describe('recordToRows', () => {
  it('puts known keys in the given order, then the rest by size', () => {
    expect(
      recordToRows({ b: 1, failed: 2, c: 5, queued: 3 }, ['queued', 'failed']).map((r) => r.key),
    ).toEqual(['queued', 'failed', 'c', 'b']);
  });
});
