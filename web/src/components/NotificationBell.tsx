import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import type { Notification } from '../api/types';
import { useAction, useAsync, usePoll } from '../lib/hooks';
import { RelativeTime } from './Status';

const KIND_TEXT: Record<string, string> = {
  mention: 'mentioned you on',
  review_request: 'asked you to review',
  review_decision: 'reviewed',
};

function describe(n: Notification): string {
  const p = n.payload as { by?: string; title?: string; action?: string };
  if (n.kind === 'budget_alert') return 'Budget alert';
  if (n.kind === 'task_approval') return `Approval needed: “${p.title ?? 'a task'}” would exceed a budget`;
  return `${p.by ?? 'Someone'} ${KIND_TEXT[n.kind] ?? n.kind} “${p.title ?? 'content'}”`;
}

/** The header's bell: the unread count (refreshed every minute) and the latest notifications. */
export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const list = useAsync((s) => api.notifications({ limit: 10 }, s), []);
  usePoll(() => list.reload({ silent: true }), 60_000, true, list.data);
  const readAll = useAction(async () => {
    await api.markNotificationsRead();
    list.reload({ silent: true });
  });
  const unread = list.data?.unread ?? 0;
  return (
    <div className="notification-bell">
      <button
        type="button"
        className="btn btn-sm"
        aria-expanded={open}
        aria-controls="notification-list"
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">🔔</span>
        <span className="visually-hidden">Notifications</span>
        {unread > 0 && (
          <span className="badge" data-testid="unread-count">
            {unread}
            <span className="visually-hidden"> unread</span>
          </span>
        )}
      </button>
      {open && (
        <div id="notification-list" className="notification-list card">
          {list.data?.items.length ? (
            <ul>
              {list.data.items.map((n) => {
                const contentId = (n.payload as { contentId?: string }).contentId;
                const taskId =
                  n.kind === 'task_approval' ? (n.payload as { taskId?: string }).taskId : undefined;
                return (
                  <li key={n.id} className={n.read ? 'read' : 'unread'}>
                    {taskId ? (
                      <Link to={`/tasks/${taskId}`} onClick={() => setOpen(false)}>
                        {describe(n)}
                      </Link>
                    ) : contentId ? (
                      <Link to={`/content/${contentId}?tab=discussion`} onClick={() => setOpen(false)}>
                        {describe(n)}
                      </Link>
                    ) : (
                      describe(n)
                    )}{' '}
                    <RelativeTime iso={n.createdAt} />
                  </li>
                );
              })}
            </ul>
          ) : (
            <p>Nothing yet.</p>
          )}
          {unread > 0 && (
            <button
              type="button"
              className="btn btn-sm"
              disabled={readAll.pending}
              onClick={() => readAll.run()}
            >
              Mark all read
            </button>
          )}
        </div>
      )}
    </div>
  );
}
