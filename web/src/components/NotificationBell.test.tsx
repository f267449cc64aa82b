import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import { NotificationBell } from './NotificationBell';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const mention = {
  id: 'n1',
  kind: 'mention',
  payload: { contentId: 'c1', by: 'alice', title: 'Tide pools' },
  read: false,
  readAt: null,
  createdAt: new Date().toISOString(),
};

describe('<NotificationBell>', () => {
  it('shows the unread count, lists the notifications and marks them read', async () => {
    const list = vi
      .spyOn(api, 'notifications')
      .mockResolvedValueOnce({ items: [mention], unread: 1, page: 1, limit: 10, total: 1 })
      .mockResolvedValue({ items: [{ ...mention, read: true }], unread: 0, page: 1, limit: 10, total: 1 });
    const read = vi.spyOn(api, 'markNotificationsRead').mockResolvedValue({ marked: 1, unread: 0 });
    render(
      <MemoryRouter>
        <NotificationBell />
      </MemoryRouter>,
    );
    expect((await screen.findByTestId('unread-count')).textContent).toContain('1');
    fireEvent.click(screen.getByRole('button', { name: /Notifications/ }));
    const link = screen.getByRole('link', { name: /alice mentioned you on “Tide pools”/ });
    expect(link.getAttribute('href')).toBe('/content/c1?tab=discussion');
    fireEvent.click(screen.getByRole('button', { name: 'Mark all read' }));
    await waitFor(() => expect(read).toHaveBeenCalledWith());
    await waitFor(() => expect(screen.queryByTestId('unread-count')).toBeNull());
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('links an approval request to the task', async () => {
    const approval = {
      ...mention,
      id: 'n2',
      kind: 'task_approval',
      payload: { taskId: 't1', title: 'Quarterly summary', budgets: [], estimatedCostMicros: 20_000 },
    };
    vi.spyOn(api, 'notifications').mockResolvedValue({
      items: [approval],
      unread: 1,
      page: 1,
      limit: 10,
      total: 1,
    });
    render(
      <MemoryRouter>
        <NotificationBell />
      </MemoryRouter>,
    );
    await screen.findByTestId('unread-count');
    fireEvent.click(screen.getByRole('button', { name: /Notifications/ }));
    const link = screen.getByRole('link', {
      name: /Approval needed: “Quarterly summary” would exceed a budget/,
    });
    expect(link.getAttribute('href')).toBe('/tasks/t1');
  });
});
