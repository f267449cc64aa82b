import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api } from '../../api/client';
import { PageHeader } from '../../components/Layout';
import { Pagination } from '../../components/Pagination';
import { Empty, ErrorMessage, Loading } from '../../components/Status';
import { ValueView } from '../../components/ValueView';
import { formatDateTime, shortId } from '../../lib/format';
import { useAsync, usePageTitle } from '../../lib/hooks';

const LIMIT = 50;

/** datetime-local value (local time, no zone) → ISO string. */
function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function LogsPage() {
  usePageTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const actorId = params.get('actorId') ?? '';
  const since = params.get('since') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [draft, setDraft] = useState({ action, actorId, since });
  const logs = useAsync(
    (s) =>
      api.auditLog(
        {
          action: action || undefined,
          actorId: actorId || undefined,
          since: localToIso(since),
          page,
          limit: LIMIT,
        },
        s,
      ),
    [action, actorId, since, page],
  );

  const apply = (next: { action: string; actorId: string; since: string }, p = 1) => {
    const q = new URLSearchParams();
    if (next.action.trim()) q.set('action', next.action.trim());
    if (next.actorId.trim()) q.set('actorId', next.actorId.trim());
    if (next.since) q.set('since', next.since);
    if (p > 1) q.set('page', String(p));
    setParams(q);
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const items = logs.data?.items ?? [];
  const filtered = Boolean(action || actorId || since);

  return (
    <section className="stack">
      <PageHeader title="Audit log" />
      <form className="toolbar" onSubmit={onSubmit} aria-label="Filter the audit log">
        <label className="inline-field">
          <span>Action</span>
          <input
            className="input"
            name="action"
            placeholder="e.g. user.update"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
        </label>
        <label className="inline-field">
          <span>Actor ID</span>
          <input
            className="input"
            name="actorId"
            value={draft.actorId}
            onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}
          />
        </label>
        <label className="inline-field">
          <span>Since</span>
          <input
            className="input"
            type="datetime-local"
            name="since"
            value={draft.since}
            onChange={(e) => setDraft({ ...draft, since: e.target.value })}
          />
        </label>
        <button type="submit" className="btn">
          Apply filters
        </button>
        {filtered && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              const empty = { action: '', actorId: '', since: '' };
              setDraft(empty);
              apply(empty);
            }}
          >
            Clear
          </button>
        )}
      </form>
      {logs.loading && !logs.data ? (
        <Loading label="Loading the audit log…" />
      ) : logs.error ? (
        <ErrorMessage error={logs.error} onRetry={() => logs.reload()} />
      ) : items.length === 0 ? (
        <Empty>{filtered ? 'No entries match these filters.' : 'The audit log is empty.'}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table responsive" data-testid="audit-table">
              <caption className="visually-hidden">Audit log entries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td data-label="When">{formatDateTime(e.at)}</td>
                    <td data-label="Action">
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => apply({ action: e.action, actorId, since })}
                        title="Show only this action"
                      >
                        {e.action}
                      </button>
                    </td>
                    <td data-label="Actor">
                      {e.actorId ? (
                        <button
                          type="button"
                          className="link-button mono"
                          onClick={() => apply({ action, actorId: e.actorId ?? '', since })}
                          title={`Show only actor ${e.actorId}`}
                        >
                          {shortId(e.actorId)}
                        </button>
                      ) : (
                        'system'
                      )}
                    </td>
                    <td data-label="Target">
                      {e.targetType ?? '—'}
                      {e.targetId && <span className="muted mono small"> {shortId(e.targetId)}</span>}
                    </td>
                    <td data-label="IP">{e.ip ?? '—'}</td>
                    <td data-label="Details" className="details-cell">
                      {e.details && Object.keys(e.details).length ? <ValueView value={e.details} /> : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            limit={LIMIT}
            total={logs.data?.total ?? 0}
            onPage={(p) => apply({ action, actorId, since }, p)}
            label="Audit log pages"
          />
        </>
      )}
    </section>
  );
}
