import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import { isApiError } from '../api/errors';
import { PRIORITIES, type Priority, type RoutingDecision, type TaskDetail } from '../api/types';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field } from '../components/Field';
import { PageHeader } from '../components/Layout';
import { Empty, ErrorMessage, Loading, Notice, StatusBadge } from '../components/Status';
import { ValueView } from '../components/ValueView';
import { formatDateTime, formatMs, formatNumber, humanize } from '../lib/format';
import { useAction, useAsync, usePageTitle, usePoll } from '../lib/hooks';
import { candidateRows, chainRows, otherRoutingFields } from '../lib/routing';

export function TaskDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const task = useAsync((s) => api.getTask(id, s), [id]);
  const t = task.data;
  usePageTitle(t ? t.title || 'Task' : 'Task');
  const active = t?.status === 'queued' || t?.status === 'running';
  usePoll(() => task.reload({ silent: true }), 2000, active && !task.loading, task.data);

  const cancel = useAction(async () => task.setData({ ...(t as TaskDetail), ...(await api.cancelTask(id)) }));
  const remove = useAction(async () => {
    await api.deleteTask(id);
    navigate('/', { replace: true });
  });

  if (task.loading && !t) return <Loading label="Loading task…" />;
  if (task.error && !t) {
    return (
      <section className="stack">
        <h1>Task</h1>
        <ErrorMessage
          error={task.error}
          onRetry={isApiError(task.error) && task.error.status === 404 ? undefined : () => task.reload()}
        />
        <p>
          <Link to="/">Back to the dashboard</Link>
        </p>
      </section>
    );
  }
  if (!t) return null;

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
        {active && (
          <button type="button" className="btn" onClick={() => cancel.run()} disabled={cancel.pending}>
            {cancel.pending ? 'Cancelling…' : 'Cancel task'}
          </button>
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
      {remove.error !== null && <ErrorMessage error={remove.error} title="Could not delete" />}
      {task.error !== null && (
        <ErrorMessage error={task.error} title="Live updates paused" onRetry={() => task.reload()} />
      )}

      <div className="card stack">
        <dl className="facts">
          <div>
            <dt>Status</dt>
            <dd data-testid="task-status" aria-live="polite">
              <StatusBadge status={t.status} />
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{humanize(t.taskType)}</dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd>{t.priority}</dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>{t.source}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(t.createdAt)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(t.startedAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(t.completedAt)}</dd>
          </div>
        </dl>
        {t.status === 'failed' && t.error && (
          <div className="alert alert-error">
            <p className="alert-title">The task failed</p>
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

      <section className="card stack" aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        <AssignmentsTable task={t} />
      </section>

      <RoutingSection taskId={t.id} status={t.status} />
    </section>
  );
}

function EditQueuedTask({ task, onSaved }: { task: TaskDetail; onSaved: (t: Partial<TaskDetail>) => void }) {
  const [title, setTitle] = useState(task.title);
  const [priority, setPriority] = useState<Priority>(task.priority);
  const save = useAction(async () => onSaved(await api.updateTask(task.id, { title, priority })));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.run();
  };
  return (
    <details className="card disclosure">
      <summary>Edit while queued</summary>
      <form className="stack" onSubmit={onSubmit}>
        {save.error !== null && (
          <ErrorMessage
            error={save.error}
            title={
              isApiError(save.error) && save.error.status === 409
                ? 'The task has already started and can no longer be edited.'
                : undefined
            }
          />
        )}
        <div className="grid-2">
          <Field label="Title">
            {(p) => (
              <input {...p} className="input" value={title} onChange={(e) => setTitle(e.target.value)} />
            )}
          </Field>
          <Field label="Priority">
            {(p) => (
              <select
                {...p}
                className="input"
                value={priority}
                onChange={(e) => setPriority(e.target.value as Priority)}
              >
                {PRIORITIES.map((pr) => (
                  <option key={pr} value={pr}>
                    {humanize(pr)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <div>
          <button type="submit" className="btn" disabled={save.pending}>
            {save.pending ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
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
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Provider attempts for this task</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Tokens</th>
            <th scope="col">Latency</th>
            <th scope="col">Started</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id}>
              <td data-label="Provider">
                {a.providerName ?? 'Unknown'}
                {a.model && <span className="muted small"> · {a.model}</span>}
              </td>
              <td data-label="Status">
                <StatusBadge status={a.status} />
              </td>
              <td data-label="Attempts">{a.attemptCount}</td>
              <td data-label="Tokens">{formatNumber(a.tokensUsed)}</td>
              <td data-label="Latency">{formatMs(a.latencyMs)}</td>
              <td data-label="Started">{formatDateTime(a.createdAt)}</td>
              <td data-label="Error">{a.errorMessage ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const DECISION_LABEL = { chosen: 'Chosen', kept: 'Kept', dropped: 'Dropped', unknown: '—' } as const;

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
    <section className="card stack" aria-labelledby="routing-h">
      <h2 id="routing-h">Routing explanation</h2>
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
            <div className="table-wrap">
              <table className="table responsive" data-testid="routing-table">
                <caption>Candidates considered</caption>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">Account</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Score</th>
                    <th scope="col">Score breakdown</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {candidates.map((c) => (
                    <tr
                      key={c.id}
                      className={
                        c.decision === 'dropped'
                          ? 'row-muted'
                          : c.decision === 'chosen'
                            ? 'row-highlight'
                            : ''
                      }
                    >
                      <th scope="row" data-label="Provider">
                        {c.provider}
                      </th>
                      <td data-label="Account">{c.account ?? '—'}</td>
                      <td data-label="Decision">
                        <StatusBadge status={c.decision} label={DECISION_LABEL[c.decision]} />
                      </td>
                      <td data-label="Score">{c.score === null ? '—' : c.score.toFixed(3)}</td>
                      <td data-label="Score breakdown">
                        {c.factors.length === 0 ? (
                          '—'
                        ) : (
                          <ul className="factors">
                            {c.factors.map(([k, v]) => (
                              <li key={k}>
                                {humanize(k)}: {Math.round(v * 1000) / 1000}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                      <td data-label="Why">{c.reason ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {chain.length > 0 && (
            <div className="table-wrap">
              <table className="table responsive">
                <caption>Chain tried, in order</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Account</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {chain.map((c, i) => (
                    <tr key={c.id}>
                      <td data-label="#">{i + 1}</td>
                      <td data-label="Provider">{c.provider}</td>
                      <td data-label="Account">{c.account ?? '—'}</td>
                      <td data-label="Outcome">{c.outcome ? <StatusBadge status={c.outcome} /> : '—'}</td>
                      <td data-label="Latency">{formatMs(c.latencyMs)}</td>
                      <td data-label="Error">{c.error ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {other.length > 0 && (
            <div>
              <h3 className="h4">Other details</h3>
              <ValueView value={Object.fromEntries(other)} />
            </div>
          )}
        </>
      )}
    </section>
  );
}
