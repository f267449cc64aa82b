import { useSearchParams } from 'react-router-dom';
import { api } from '../../api/client';
import { AsyncTable } from '../../components/DataTable';
import { InlineInput } from '../../components/Field';
import { Form, useForm } from '../../components/Form';
import { PageHeader } from '../../components/Layout';
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
  const filtered = Boolean(action || actorId || since);
  const filter = useForm({ initial: { action, actorId, since }, send: async (v) => apply(v) });

  return (
    <section className="stack">
      <PageHeader title="Audit log" />
      <Form
        inline
        className="toolbar"
        aria-label="Filter the audit log"
        state={filter}
        submitLabel="Apply filters"
        submitClassName="btn"
        actions={
          filtered && (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                const empty = { action: '', actorId: '', since: '' };
                filter.setValues(empty);
                apply(empty);
              }}
            >
              Clear
            </button>
          )
        }
      >
        <InlineInput label="Action" placeholder="e.g. user.update" {...filter.field('action')} />
        <InlineInput label="Actor ID" {...filter.field('actorId')} />
        <InlineInput label="Since" type="datetime-local" {...filter.field('since')} />
      </Form>
      <AsyncTable
        state={logs}
        loadingLabel="Loading the audit log…"
        empty={filtered ? 'No entries match these filters.' : 'The audit log is empty.'}
        caption="Audit log entries, newest first"
        testId="audit-table"
        rowKey={(e) => e.id}
        pagination={{
          page,
          limit: LIMIT,
          onPage: (p) => apply({ action, actorId, since }, p),
          label: 'Audit log pages',
        }}
        columns={[
          { header: 'When', cell: (e) => formatDateTime(e.at) },
          {
            header: 'Action',
            cell: (e) => (
              <button
                type="button"
                className="link-button"
                onClick={() => apply({ action: e.action, actorId, since })}
                title="Show only this action"
              >
                {e.action}
              </button>
            ),
          },
          {
            header: 'Actor',
            cell: (e) =>
              e.actorId ? (
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
              ),
          },
          {
            header: 'Target',
            cell: (e) => (
              <>
                {e.targetType ?? '—'}
                {e.targetId && <span className="muted mono small"> {shortId(e.targetId)}</span>}
              </>
            ),
          },
          { header: 'IP', cell: (e) => e.ip ?? '—' },
          {
            header: 'Details',
            className: 'details-cell',
            cell: (e) => (hasDetails(e.details) ? <ValueView value={e.details} /> : '—'),
          },
        ]}
      />
    </section>
  );
}

function hasDetails(d: unknown): boolean {
  return typeof d === 'object' && d !== null && Object.keys(d).length > 0;
}
