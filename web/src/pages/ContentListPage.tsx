import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { PageHeader } from '../components/Layout';
import { Pagination } from '../components/Pagination';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../components/Status';
import { formatDateTime, formatRelative } from '../lib/format';
import { useAsync, usePageTitle } from '../lib/hooks';

const LIMIT = 20;

export function ContentListPage() {
  usePageTitle('Content');
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [draft, setDraft] = useState(q);
  const list = useAsync((s) => api.listContent({ q: q || undefined, page, limit: LIMIT }, s), [q, page]);

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.trim()) next.set('q', draft.trim());
    setParams(next);
  };
  const goto = (p: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(p));
    setParams(next);
  };

  const items = list.data?.items ?? [];
  return (
    <section className="stack">
      <PageHeader title="Content" />
      <search aria-label="Search content">
        <form className="toolbar" onSubmit={onSearch}>
          <label className="inline-field grow">
            <span>Search</span>
            <input
              className="input"
              type="search"
              name="q"
              placeholder="Words in the title or text"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
            />
          </label>
          <button type="submit" className="btn">
            Search
          </button>
          {q && (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setDraft('');
                setParams(new URLSearchParams());
              }}
            >
              Clear
            </button>
          )}
        </form>
      </search>
      {list.loading && !list.data ? (
        <Loading label="Loading content…" />
      ) : list.error ? (
        <ErrorMessage error={list.error} onRetry={() => list.reload()} />
      ) : items.length === 0 ? (
        <Empty>
          {q ? `Nothing matches “${q}”.` : 'No content yet. Completed tasks put their results here.'}
        </Empty>
      ) : (
        <>
          <p className="muted small" role="status">
            {list.data?.total ?? items.length} item{(list.data?.total ?? items.length) === 1 ? '' : 's'}
            {q ? ` matching “${q}”` : ''}
          </p>
          <div className="table-wrap">
            <table className="table responsive" data-testid="content-table">
              <caption className="visually-hidden">Your content</caption>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Version</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Title">
                      <Link to={`/content/${c.id}`}>{c.title || 'Untitled'}</Link>
                    </td>
                    <td data-label="Type">{c.contentType}</td>
                    <td data-label="Status">
                      <StatusBadge status={c.status} />
                    </td>
                    <td data-label="Version">v{c.version}</td>
                    <td data-label="Updated">
                      <time dateTime={c.updatedAt} title={formatDateTime(c.updatedAt)}>
                        {formatRelative(c.updatedAt)}
                      </time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            limit={LIMIT}
            total={list.data?.total ?? 0}
            onPage={goto}
            label="Content pages"
          />
        </>
      )}
    </section>
  );
}
