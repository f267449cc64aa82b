import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import { isApiError } from '../api/errors';
import { PRIORITIES, type RoutingDecision, type TaskDetail } from '../api/types';
import { ActionButton } from '../components/ActionButton';
import { ConfirmButton } from '../components/ConfirmButton';
import { DataTable } from '../components/DataTable';
import { Facts } from '../components/Facts';
import { SelectField, TextField } from '../components/Field';
import { Form, useForm } from '../components/Form';
import { Card, PageHeader } from '../components/Layout';
import { Empty, ErrorMessage, Loading, Notice, NotLoaded, StatusBadge } from '../components/Status';
import { ValueView } from '../components/ValueView';
import { formatDateTime, formatMs, formatNumber, humanize } from '../lib/format';
import { useAction, useAsync, usePageTitle, usePoll } from '../lib/hooks';
import { useLiveText } from '../lib/liveText';
import { candidateRows, chainRows, otherRoutingFields } from '../lib/routing';

export function TaskDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const task = useAsync((s) => api.getTask(id, s), [id]);
  const t = task.data;
  usePageTitle(t ? t.title || 'Task' : 'Task');
  const active = t?.status === 'queued' || t?.status === 'running';
  usePoll(() => task.reload({ silent: true }), 2000, active && !task.loading, task.data);
  const live = useLiveText((signal) => api.taskEvents(id, signal), id, active);

  const cancel = useAction(async () => task.setData({ ...(t as TaskDetail), ...(await api.cancelTask(id)) }));
  const decide = async (next: Promise<Partial<TaskDetail>>) => {
    task.setData({ ...(t as TaskDetail), ...(await next) });
    await task.reload({ silent: true });
  };
  const approve = useAction(() => decide(api.approveTask(id)));
  const reject = useAction(() => decide(api.rejectTask(id)));
  const remove = useAction(async () => {
    await api.deleteTask(id);
    navigate('/', { replace: true });
  });

  if (!t) return <NotLoaded state={task} title="Task" back={<Link to="/">Back to the dashboard</Link>} />;

  return (
    <section className="stack">
      <p className="breadcrumb">
        <Link to="/">Dashboard</Link> / Task
      </p>
      <PageHeader title={t.title || 'Untitled task'}>
        {t.contentId && (
          <Link to={`/content/${t.contentId}`} className="btn btn-primary">
            Open content
          </Link>
        )}
        {(active || t.status === 'awaiting_approval') && (
          <ActionButton action={cancel} label="Cancel task" pendingLabel="Cancelling…" />
        )}
        <ConfirmButton
          label="Delete"
          accessibleName="Delete task"
          question="Delete this task?"
          onConfirm={() => remove.run()}
          pending={remove.pending}
        />
      </PageHeader>
      {cancel.error !== null && <ErrorMessage error={cancel.error} title="Could not cancel" />}
      {t.status === 'awaiting_approval' && <AwaitingApproval task={t} approve={approve} reject={reject} />}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Could not delete" />}
      {task.error !== null && (
        <ErrorMessage error={task.error} title="Live updates paused" onRetry={() => task.reload()} />
      )}

      {active && live.text && (
        <Card title="Live output">
          <pre className="live-output" data-testid="live-text" aria-live="polite">
            {live.text}
            {live.incomplete ? '\n\n[incomplete] — retrying…' : ' ▍'}
          </pre>
        </Card>
      )}

      <div className="card stack">
        <Facts
          items={{
            Status: <StatusBadge status={t.status} />,
            Type: humanize(t.taskType),
            Priority: t.priority,
            Source: t.source,
            Created: formatDateTime(t.createdAt),
            Started: formatDateTime(t.startedAt),
            Finished: formatDateTime(t.completedAt),
          }}
          dd={{ Status: { 'data-testid': 'task-status', 'aria-live': 'polite' } }}
        />
        {(t.status === 'failed' || t.status === 'cancelled') && t.error && (
          <div className="alert alert-error">
            <p className="alert-title">
              {t.status === 'failed' ? 'The task failed' : 'The task was cancelled'}
            </p>
            <p>{t.error}</p>
          </div>
        )}
        {t.status === 'completed' && t.contentId && (
          <Notice>
            Done. <Link to={`/content/${t.contentId}`}>Open the generated content</Link>.
          </Notice>
        )}
        <h2 className="h3">Prompt</h2>
        <p className="prompt">{t.description}</p>
      </div>

      {t.status === 'queued' && (
        <EditQueuedTask task={t} onSaved={(next) => task.setData({ ...t, ...next })} />
      )}

      <Card title="Attempts">
        <AssignmentsTable task={t} />
      </Card>

      <RoutingSection taskId={t.id} status={t.status} />
    </section>
  );
}

function EditQueuedTask({ task, onSaved }: { task: TaskDetail; onSaved: (t: Partial<TaskDetail>) => void }) {
  const form = useForm({
    initial: { title: task.title, priority: task.priority },
    send: async (v) => onSaved(await api.updateTask(task.id, v)),
  });
  return (
    <details className="card disclosure">
      <summary>Edit while queued</summary>
      <Form
        state={form}
        errorTitle={
          isApiError(form.error) && form.error.status === 409
            ? 'The task has already started and can no longer be edited.'
            : undefined
        }
        submitLabel="Save changes"
        submitClassName="btn"
      >
        <div className="grid-2">
          <TextField label="Title" {...form.field('title')} />
          <SelectField label="Priority" options={PRIORITIES} {...form.field('priority')} />
        </div>
      </Form>
    </details>
  );
}

function AssignmentsTable({ task }: { task: TaskDetail }) {
  const rows = task.assignments ?? [];
  if (rows.length === 0) {
    return (
      <Empty>
        {task.status === 'queued'
          ? 'Waiting for a worker to pick this task up.'
          : 'No provider attempts were recorded.'}
      </Empty>
    );
  }
  return (
    <DataTable
      rows={rows}
      caption="Provider attempts for this task"
      rowKey={(a) => a.id}
      columns={[
        {
          header: 'Provider',
          cell: (a) => (
            <>
              {a.providerName ?? 'Unknown'}
              {a.model && <span className="muted small"> · {a.model}</span>}
            </>
          ),
        },
        { header: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
        { header: 'Attempts', cell: (a) => a.attemptCount },
        { header: 'Tokens', cell: (a) => formatNumber(a.tokensUsed) },
        { header: 'Latency', cell: (a) => formatMs(a.latencyMs) },
        { header: 'Started', cell: (a) => formatDateTime(a.createdAt) },
        { header: 'Error', cell: (a) => a.errorMessage ?? '—' },
      ]}
    />
  );
}

const DECISION_LABEL = { chosen: 'Chosen', kept: 'Kept', dropped: 'Dropped', unknown: '—' } as const;
const ROW_CLASS = { chosen: 'row-highlight', kept: '', dropped: 'row-muted', unknown: '' } as const;

function Factors({ factors }: { factors: Array<[string, number]> }) {
  if (factors.length === 0) return '—';
  return (
    <ul className="factors">
      {factors.map(([k, v]) => (
        <li key={k}>
          {humanize(k)}: {Math.round(v * 1000) / 1000}
        </li>
      ))}
    </ul>
  );
}

function RoutingSection({ taskId, status }: { taskId: string; status: string }) {
  // Re-read whenever the task's status moves on: the decision is recorded when routing happens.
  const routing = useAsync(
    async (s): Promise<RoutingDecision | null> => {
      try {
        return (await api.taskRouting(taskId, s)) ?? null;
      } catch (e) {
        if (isApiError(e) && e.status === 404) return null;
        throw e;
      }
    },
    [taskId, status],
  );
  const candidates = candidateRows(routing.data);
  const chain = chainRows(routing.data);
  const other = otherRoutingFields(routing.data);
  return (
    <Card title="Routing explanation">
      {routing.loading && !routing.data ? (
        <Loading label="Loading the routing decision…" />
      ) : routing.error && routing.data === undefined ? (
        <ErrorMessage error={routing.error} onRetry={() => routing.reload()} />
      ) : !routing.data || (candidates.length === 0 && chain.length === 0 && other.length === 0) ? (
        <Empty>
          {status === 'queued'
            ? 'The router has not looked at this task yet.'
            : 'No routing decision was recorded for this task.'}
        </Empty>
      ) : (
        <>
          {candidates.length > 0 && (
            <DataTable
              rows={candidates}
              showCaption
              caption="Candidates considered"
              testId="routing-table"
              rowKey={(c) => c.id}
              rowProps={(c) => ({ className: ROW_CLASS[c.decision] })}
              columns={[
                { header: 'Provider', rowHeader: true, cell: (c) => c.provider },
                { header: 'Account', cell: (c) => c.account ?? '—' },
                {
                  header: 'Decision',
                  cell: (c) => <StatusBadge status={c.decision} label={DECISION_LABEL[c.decision]} />,
                },
                { header: 'Score', cell: (c) => (c.score === null ? '—' : c.score.toFixed(3)) },
                { header: 'Score breakdown', cell: (c) => <Factors factors={c.factors} /> },
                { header: 'Why', cell: (c) => c.reason ?? '—' },
              ]}
            />
          )}
          {chain.length > 0 && (
            <DataTable
              rows={chain}
              showCaption
              caption="Chain tried, in order"
              rowKey={(c) => c.id}
              columns={[
                { header: '#', cell: (_, i) => i + 1 },
                { header: 'Provider', cell: (c) => c.provider },
                { header: 'Account', cell: (c) => c.account ?? '—' },
                { header: 'Outcome', cell: (c) => (c.outcome ? <StatusBadge status={c.outcome} /> : '—') },
                { header: 'Latency', cell: (c) => formatMs(c.latencyMs) },
                { header: 'Error', cell: (c) => c.error ?? '—' },
              ]}
            />
          )}
          {other.length > 0 && (
            <div>
              <h3 className="h4">Other details</h3>
              <ValueView value={Object.fromEntries(other)} />
            </div>
          )}
        </>
      )}
    </Card>
  );
}

type Action = ReturnType<typeof useAction>;

const usd = (micros: number) => `$${(micros / 1_000_000).toFixed(micros < 10_000 ? 4 : 2)}`;

/**
 * A task held by an `approve` budget: which budget, the estimate, until when, and Approve/Reject
 * (its owner, a team owner/admin or a site admin; anyone else gets the server's 403/404 as an error).
 */
export function AwaitingApproval({
  task,
  approve,
  reject,
}: {
  task: TaskDetail;
  approve: Action;
  reject: Action;
}) {
  const a = task.approval;
  const budgets = a?.budgets ?? [];
  return (
    <section className="alert alert-warning stack" aria-label="Awaiting approval">
      <p className="alert-title">This task is waiting for approval</p>
      <p>
        It would exceed{' '}
        {budgets.length
          ? budgets
              .map(
                (b) =>
                  `${b.name ? `“${b.name}”` : `the ${b.scope.replace('_', ' ')} budget`} (limit ${
                    b.limitMicros !== null ? usd(b.limitMicros) : `${formatNumber(b.limitTokens)} tokens`
                  })`,
              )
              .join(' and ')
          : 'a budget'}
        {a ? `; estimated ${usd(a.estimatedCostMicros)}` : ''}. It runs once approved
        {a ? `, and ends by itself if nobody decides by ${formatDateTime(a.expiresAt)}` : ''}.
      </p>
      <div className="row">
        <ActionButton
          action={approve}
          label="Approve"
          pendingLabel="Approving…"
          className="btn btn-primary"
        />
        <ActionButton action={reject} label="Reject" pendingLabel="Rejecting…" className="btn btn-danger" />
      </div>
      {approve.error !== null && <ErrorMessage error={approve.error} title="Could not approve" />}
      {reject.error !== null && <ErrorMessage error={reject.error} title="Could not reject" />}
    </section>
  );
}
