import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { TASK_STATUSES, type Task, type TaskStatus } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { AsyncTable } from '../components/DataTable';
import { InlineSelect } from '../components/Field';
import { PageHeader } from '../components/Layout';
import { RelativeTime, StatusBadge } from '../components/Status';
import { useCurrentTeam } from '../lib/currentTeam';
import { humanize } from '../lib/format';
import { useAsync, usePageTitle, usePoll } from '../lib/hooks';

const LIMIT = 20;
export const isActive = (t: Pick<Task, 'status'>) => t.status === 'queued' || t.status === 'running';

export function DashboardPage() {
  usePageTitle('Dashboard');
  const { user } = useAuth();
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const [page, setPage] = useState(1);
  const [teamId] = useCurrentTeam();
  const tasks = useAsync(
    (signal) =>
      api.listTasks({ page, limit: LIMIT, status: status || undefined, teamId: teamId ?? undefined }, signal),
    [page, status, teamId],
  );
  const active = (tasks.data?.items ?? []).filter(isActive).length;
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
        <InlineSelect<TaskStatus | ''>
          label="Status"
          value={status}
          onChange={(s) => {
            setStatus(s);
            setPage(1);
          }}
          emptyOption="All"
          options={TASK_STATUSES}
        />
        <p className="muted small" role="status" aria-live="polite">
          {active > 0 ? `Updating live: ${active} task${active === 1 ? '' : 's'} in progress.` : ''}
        </p>
      </div>
      <AsyncTable
        state={tasks}
        loadingLabel="Loading your tasks…"
        staleErrorTitle="Live updates paused"
        empty={
          <>
            No tasks yet. <Link to="/tasks/new">Create your first task</Link>, or send one from a linked chat.
          </>
        }
        pagination={{ page, limit: LIMIT, onPage: setPage, label: 'Task pages' }}
        caption="Your tasks"
        testId="task-table"
        rowKey={(t) => t.id}
        rowProps={(t) => ({ 'data-task-id': t.id })}
        columns={[
          {
            header: 'Task',
            cell: (t) => (
              <Link to={`/tasks/${t.id}`}>{t.title || t.description.slice(0, 60) || 'Untitled task'}</Link>
            ),
          },
          { header: 'Type', cell: (t) => humanize(t.taskType) },
          { header: 'Priority', cell: (t) => t.priority },
          { header: 'Status', cell: (t) => <StatusBadge status={t.status} /> },
          { header: 'Source', cell: (t) => t.source },
          { header: 'Created', cell: (t) => <RelativeTime iso={t.createdAt} /> },
          {
            header: 'Result',
            cell: (t) =>
              t.contentId ? (
                <Link to={`/content/${t.contentId}`}>
                  Open content<span className="visually-hidden"> for {t.title}</span>
                </Link>
              ) : (
                <span className="muted">{t.status === 'failed' ? 'Failed' : '—'}</span>
              ),
          },
        ]}
      />
    </section>
  );
}
