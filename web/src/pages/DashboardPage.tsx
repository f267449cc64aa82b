import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { TASK_STATUSES, type Task, type TaskStatus } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { PageHeader } from '../components/Layout';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../components/Status';
import { formatDateTime, formatRelative, humanize } from '../lib/format';
import { useAsync, usePageTitle, usePoll } from '../lib/hooks';

const LIMIT = 20;
export const isActive = (t: Pick<Task, 'status'>) => t.status === 'queued' || t.status === 'running';

export function DashboardPage() {
  usePageTitle('Dashboard');
  const { user } = useAuth();
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const [page, setPage] = useState(1);
  const tasks = useAsync(
    (signal) => api.listTasks({ page, limit: LIMIT, status: status || undefined }, signal),
    [page, status],
  );
  const items = tasks.data?.items ?? [];
  const active = items.filter(isActive).length;
  // Poll every 2 s while anything on screen is still queued or running.
  usePoll(() => tasks.reload({ silent: true }), 2000, active > 0 && !tasks.loading, tasks.data);

  return (
    <section className="stack">
      <PageHeader title="Dashboard">
        <Link to="/tasks/new" className="btn btn-primary">
          New task
        </Link>
      </PageHeader>
      <p className="muted">Welcome back, {user?.username}. Your most recent tasks:</p>
      <div className="toolbar">
        <label className="inline-field">
          <span>Status</span>
          <select
            className="input"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as TaskStatus | '');
              setPage(1);
            }}
          >
            <option value="">All</option>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small" role="status" aria-live="polite">
          {active > 0 ? `Updating live: ${active} task${active === 1 ? '' : 's'} in progress.` : ''}
        </p>
      </div>
      {tasks.loading && !tasks.data ? (
        <Loading label="Loading your tasks…" />
      ) : tasks.error && !tasks.data ? (
        <ErrorMessage error={tasks.error} onRetry={() => tasks.reload()} />
      ) : items.length === 0 ? (
        <Empty>
          No tasks yet. <Link to="/tasks/new">Create your first task</Link>, or send one from a linked chat.
        </Empty>
      ) : (
        <>
          {tasks.error !== null && (
            <ErrorMessage error={tasks.error} onRetry={() => tasks.reload()} title="Live updates paused" />
          )}
          <TaskTable tasks={items} />
          <Pagination
            page={page}
            limit={LIMIT}
            total={tasks.data?.total ?? 0}
            onPage={setPage}
            label="Task pages"
          />
        </>
      )}
    </section>
  );
}

export function TaskTable({ tasks, caption = 'Your tasks' }: { tasks: Task[]; caption?: string }) {
  return (
    <div className="table-wrap">
      <table className="table responsive" data-testid="task-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Type</th>
            <th scope="col">Priority</th>
            <th scope="col">Status</th>
            <th scope="col">Source</th>
            <th scope="col">Created</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task-id={t.id}>
              <td data-label="Task">
                <Link to={`/tasks/${t.id}`}>{t.title || t.description.slice(0, 60) || 'Untitled task'}</Link>
              </td>
              <td data-label="Type">{humanize(t.taskType)}</td>
              <td data-label="Priority">{t.priority}</td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
              </td>
              <td data-label="Source">{t.source}</td>
              <td data-label="Created">
                <time dateTime={t.createdAt} title={formatDateTime(t.createdAt)}>
                  {formatRelative(t.createdAt)}
                </time>
              </td>
              <td data-label="Result">
                {t.contentId ? (
                  <Link to={`/content/${t.contentId}`}>
                    Open content<span className="visually-hidden"> for {t.title}</span>
                  </Link>
                ) : t.status === 'failed' ? (
                  <span className="muted">Failed</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
