import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import { stubResizeObserver } from '../lib/testing';
import { monthRange, ReportsPage } from './ReportsPage';

beforeAll(stubResizeObserver);
beforeEach(() => {
  vi.spyOn(api, 'failureReport').mockResolvedValue({ items: [] });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('<ReportsPage>', () => {
  it('a month is [1st, 1st of the next month), across a year end too', () => {
    expect(monthRange('2026-11')).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect(monthRange('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
  });

  it('asks for the month grouped as chosen and lists the rows', async () => {
    const row = {
      key: 'u1',
      label: 'alice',
      tasks: 3,
      completed: 2,
      failed: 1,
      tokens: 400,
      costMicros: 0,
      p50LatencyMs: 2000,
      p95LatencyMs: 2900,
    };
    const report = vi.spyOn(api, 'usageReport').mockResolvedValue({ items: [row] });
    vi.spyOn(api, 'reportSchedules').mockResolvedValue({ items: [] });
    render(
      <MemoryRouter>
        <ReportsPage />
      </MemoryRouter>,
    );
    fireEvent.change(screen.getByLabelText('Group by'), { target: { value: 'user' } });
    expect(await screen.findByRole('rowheader', { name: 'alice' })).toBeTruthy();
    await waitFor(() =>
      expect(report).toHaveBeenLastCalledWith(
        expect.objectContaining({ groupBy: 'user' }),
        expect.anything(),
      ),
    );
    expect(report.mock.lastCall?.[0].from).toMatch(/^\d{4}-\d{2}-01$/);
  });

  it('lists the scheduled reports and deletes one after confirming', async () => {
    vi.spyOn(api, 'usageReport').mockResolvedValue({ items: [] });
    const schedule = {
      id: 's1',
      report: 'usage' as const,
      groupBy: 'user' as const,
      every: 'month' as const,
      teamId: null,
      deliverTo: { platform: 'slack', channel: 'CREPORTS' },
      nextRunAt: '2030-02-01T00:00:00.000Z',
      lastSentAt: null,
      createdAt: '2030-01-05T00:00:00.000Z',
    };
    const list = vi
      .spyOn(api, 'reportSchedules')
      .mockResolvedValueOnce({ items: [schedule] })
      .mockResolvedValue({ items: [] });
    const del = vi.spyOn(api, 'deleteReportSchedule').mockResolvedValue(undefined);
    render(
      <MemoryRouter>
        <ReportsPage />
      </MemoryRouter>,
    );
    expect(await screen.findByRole('rowheader', { name: 'usage by user' })).toBeTruthy();
    expect(screen.getByText('slack #CREPORTS')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Delete schedule usage by user to slack #CREPORTS' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(del).toHaveBeenCalledWith('s1'));
    expect(await screen.findByText('No scheduled reports.')).toBeTruthy();
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('lists the failure reasons of the same month and team under the chart', async () => {
    vi.spyOn(api, 'usageReport').mockResolvedValue({ items: [] });
    vi.spyOn(api, 'reportSchedules').mockResolvedValue({ items: [] });
    const failures = vi.spyOn(api, 'failureReport').mockResolvedValue({
      items: [
        {
          code: 'timeout',
          label: 'The provider did not answer in time',
          attempts: 3,
          tasks: 2,
          providers: ['Claude', 'Mock'],
          lastAt: '2026-11-04T00:00:00.000Z',
          example: 'mock: timed out after 30s',
        },
      ],
    });
    render(
      <MemoryRouter>
        <ReportsPage />
      </MemoryRouter>,
    );
    const row = await screen.findByRole('rowheader', { name: 'The provider did not answer in time' });
    const cells = Array.from(row.parentElement!.querySelectorAll('td')).map((td) => td.textContent);
    expect(cells.slice(0, 3)).toEqual(['3', '2', 'Claude, Mock']);
    expect(cells[4]).toBe('mock: timed out after 30s');
    const usageQuery = (api.usageReport as any).mock.lastCall[0];
    expect(failures.mock.lastCall?.[0]).toEqual({ from: usageQuery.from, to: usageQuery.to });
  });
});
