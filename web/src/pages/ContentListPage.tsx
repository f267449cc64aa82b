import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { AsyncTable } from '../components/DataTable';
import { SearchForm } from '../components/Form';
import { PageHeader } from '../components/Layout';
import { RelativeTime, StatusBadge } from '../components/Status';
import { useCurrentTeam } from '../lib/currentTeam';
import { useAsync, usePageTitle } from '../lib/hooks';

const LIMIT = 20;

export function ContentListPage() {
  usePageTitle('Content');
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [teamId] = useCurrentTeam();
  const list = useAsync(
    (s) => api.listContent({ q: q || undefined, page, limit: LIMIT, teamId: teamId ?? undefined }, s),
    [q, page, teamId],
  );

  const search = (text: string) => setParams(text ? new URLSearchParams({ q: text }) : new URLSearchParams());
  const goto = (p: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(p));
    setParams(next);
  };

  return (
    <section className="stack">
      <PageHeader title="Content" />
      <SearchForm
        label="Search content"
        placeholder="Words in the title or text"
        query={q}
        onSearch={search}
        clearable
      />
      <AsyncTable
        state={list}
        loadingLabel="Loading content…"
        empty={q ? `Nothing matches “${q}”.` : 'No content yet. Completed tasks put their results here.'}
        above={(total) => (
          <p className="muted small" role="status">
            {total} item{total === 1 ? '' : 's'}
            {q ? ` matching “${q}”` : ''}
          </p>
        )}
        caption="Your content"
        testId="content-table"
        rowKey={(c) => c.id}
        columns={[
          { header: 'Title', cell: (c) => <Link to={`/content/${c.id}`}>{c.title || 'Untitled'}</Link> },
          { header: 'Type', cell: (c) => c.contentType },
          { header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
          { header: 'Version', cell: (c) => `v${c.version}` },
          { header: 'Updated', cell: (c) => <RelativeTime iso={c.updatedAt} /> },
        ]}
        pagination={{ page, limit: LIMIT, onPage: goto, label: 'Content pages' }}
      />
    </section>
  );
}
