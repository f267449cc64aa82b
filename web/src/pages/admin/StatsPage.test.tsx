import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/client';
import type { AdminStats, Page, Task } from '../../api/types';
import { stubResizeObserver } from '../../lib/testing';
import { StatsPage } from './StatsPage';

beforeAll(stubResizeObserver);

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

/** Statistics without `tasksOverTime`, as servers older than that field answer. */
const base: Omit<AdminStats, 'tasksOverTime'> = {
  users: { total: 2 },
  tasks: { total: 3, byStatus: { completed: 2, failed: 1 }, byType: { article: 3 }, bySource: { api: 3 } },
  providers: [],
  queue: { queued: 0, running: 0, failed: 1 },
};

/** The rows of the "Tasks over time" data table (period, then one count per status). */
async function overTimeRows() {
  const table = await screen.findByRole('table', { name: 'Tasks over time' });
  return [...table.querySelectorAll('tbody tr')].map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent),
  );
}

describe('<StatsPage> tasks over time', () => {
  it('draws the server’s per-day series without reading the task list', async () => {
    vi.spyOn(api, 'stats').mockResolvedValue({
      ...base,
      tasksOverTime: [
        { date: '2026-02-01', total: 2, completed: 2 },
        { date: '2026-02-03', total: 1, failed: 1 },
      ],
    });
    const listTasks = vi.spyOn(api, 'listTasks');
    render(<StatsPage />);

    const rows = await overTimeRows();
    // Awaiting approval, queued, running, completed, failed, cancelled; the empty day in between is filled in.
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['0', '0', '0', '2', '0', '0'],
      ['0', '0', '0', '0', '0', '0'],
      ['0', '0', '0', '0', '1', '0'],
    ]);
    expect((await screen.findByTestId('tasks-over-time-note')).textContent).toContain(
      'each day (UTC), as counted by the server',
    );
    expect(listTasks).not.toHaveBeenCalled();
  });

  it('falls back to counting recent tasks in the browser when the server sends no series', async () => {
    vi.spyOn(api, 'stats').mockResolvedValue(base as AdminStats);
    const now = new Date().toISOString();
    const task = (id: string, status: Task['status']) => ({ id, status, createdAt: now }) as Task;
    const listTasks = vi.spyOn(api, 'listTasks').mockResolvedValue({
      items: [task('t1', 'completed'), task('t2', 'failed')],
      total: 2,
      page: 1,
      limit: 100,
    } as Page<Task>);
    render(<StatsPage />);

    const note = await screen.findByTestId('tasks-over-time-note');
    expect(note.textContent).toContain('counted in the browser');
    await waitFor(() =>
      expect(listTasks).toHaveBeenCalledWith(expect.objectContaining({ all: 'true' }), expect.anything()),
    );
    let rows: Array<Array<string | null>> = [];
    await waitFor(async () => {
      rows = await overTimeRows();
      expect(rows.length).toBeGreaterThan(0);
    });
    const totals = rows.reduce((acc, r) => acc.map((n, i) => n + Number(r[i + 1])), [0, 0, 0, 0, 0, 0]);
    expect(totals).toEqual([0, 0, 0, 1, 1, 0]);
  });
});
