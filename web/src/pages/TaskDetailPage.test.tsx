import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import type { TaskDetail } from '../api/types';
import { TaskDetailPage } from './TaskDetailPage';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const waiting: TaskDetail = {
  id: '11111111-2222-3333-4444-555555555555',
  userId: 'u1',
  teamId: 't1',
  title: 'A haiku',
  description: 'Write a haiku',
  taskType: 'summary',
  priority: 'normal',
  status: 'awaiting_approval',
  source: 'portal',
  providerId: null,
  options: {},
  callbackUrl: null,
  regenerateContentId: null,
  attempts: 0,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  startedAt: null,
  completedAt: null,
  contentId: null,
  error: null,
  assignments: [],
  costMicros: 0,
  estimatedCostMicros: 20_000,
  approval: {
    budgets: [
      {
        id: 'b1',
        scope: 'team',
        name: 'Acme monthly',
        limitMicros: 1_000_000,
        limitTokens: null,
        resetsAt: null,
      },
    ],
    estimatedCostMicros: 20_000,
    expiresAt: '2026-12-02T10:00:00.000Z',
    decision: null,
    decidedBy: null,
    decidedAt: null,
  },
};

describe('<TaskDetailPage> for a task awaiting approval', () => {
  it('shows the status, the budget and Approve/Reject; Approve calls the API and shows the queued task', async () => {
    let current: TaskDetail = waiting;
    vi.spyOn(api, 'getTask').mockImplementation(async () => current);
    vi.spyOn(api, 'taskRouting').mockResolvedValue(null);
    const approve = vi.spyOn(api, 'approveTask').mockImplementation(async () => {
      current = { ...waiting, status: 'queued' };
      return current;
    });
    render(
      <MemoryRouter initialEntries={[`/tasks/${waiting.id}`]}>
        <Routes>
          <Route path="/tasks/:id" element={<TaskDetailPage />} />
        </Routes>
      </MemoryRouter>,
    );
    expect((await screen.findByTestId('task-status')).textContent).toBe('awaiting approval');
    const box = screen.getByRole('region', { name: 'Awaiting approval' });
    expect(box.textContent).toContain('“Acme monthly” (limit $1.00)');
    expect(box.textContent).toContain('estimated $0.02');
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(approve).toHaveBeenCalledWith(waiting.id));
    await waitFor(() => expect(screen.getByTestId('task-status').textContent).toBe('queued'));
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});
