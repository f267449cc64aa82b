import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';
import type { Role, User } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { PageHeader } from '../../components/Layout';
import { Pagination } from '../../components/Pagination';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../../components/Status';
import { formatDateTime } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';

const LIMIT = 20;

export function UsersPage() {
  usePageTitle('Users');
  const { user: me } = useAuth();
  const [q, setQ] = useState('');
  const [draft, setDraft] = useState('');
  const [page, setPage] = useState(1);
  const users = useAsync((s) => api.listUsers({ q: q || undefined, page, limit: LIMIT }, s), [q, page]);
  const [busy, setBusy] = useState<string | null>(null);
  const update = useAction(async (u: User, change: { role?: Role; status?: 'active' | 'suspended' }) => {
    setBusy(u.id);
    try {
      const next = await api.updateUser(u.id, change);
      users.setData((prev) =>
        prev ? { ...prev, items: prev.items.map((x) => (x.id === u.id ? { ...x, ...next } : x)) } : prev!,
      );
    } finally {
      setBusy(null);
    }
  });

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setQ(draft.trim());
    setPage(1);
  };
  const items = users.data?.items ?? [];

  return (
    <section className="stack">
      <PageHeader title="Users" />
      <search aria-label="Search users">
        <form className="toolbar" onSubmit={onSearch}>
          <label className="inline-field grow">
            <span>Search</span>
            <input
              className="input"
              type="search"
              name="q"
              placeholder="Username or email"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
            />
          </label>
          <button type="submit" className="btn">
            Search
          </button>
        </form>
      </search>
      {update.error !== null && <ErrorMessage error={update.error} title="The user was not changed" />}
      {users.loading && !users.data ? (
        <Loading label="Loading users…" />
      ) : users.error ? (
        <ErrorMessage error={users.error} onRetry={() => users.reload()} />
      ) : items.length === 0 ? (
        <Empty>{q ? `No users match “${q}”.` : 'No users.'}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table responsive" data-testid="users-table">
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((u) => {
                  const self = u.id === me?.id;
                  const suspended = u.status === 'suspended';
                  return (
                    <tr key={u.id} data-username={u.username}>
                      <th scope="row" data-label="Username">
                        {u.username}
                        {self && <span className="muted small"> (you)</span>}
                      </th>
                      <td data-label="Email">{u.email ?? '—'}</td>
                      <td data-label="Role">
                        <select
                          className="input input-sm"
                          aria-label={`Role for ${u.username}`}
                          value={u.role}
                          disabled={self || busy === u.id}
                          onChange={(e) => update.run(u, { role: e.target.value as Role })}
                        >
                          <option value="user">user</option>
                          <option value="admin">admin</option>
                        </select>
                      </td>
                      <td data-label="Status">
                        <StatusBadge status={u.status} />
                      </td>
                      <td data-label="Last sign-in">{formatDateTime(u.lastLogin)}</td>
                      <td data-label="Actions">
                        {!self && (
                          <button
                            type="button"
                            className={`btn btn-sm${suspended ? '' : ' btn-danger'}`}
                            disabled={busy === u.id}
                            onClick={() => update.run(u, { status: suspended ? 'active' : 'suspended' })}
                            aria-label={`${suspended ? 'Reactivate' : 'Suspend'} ${u.username}`}
                          >
                            {busy === u.id ? 'Saving…' : suspended ? 'Reactivate' : 'Suspend'}
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            limit={LIMIT}
            total={users.data?.total ?? 0}
            onPage={setPage}
            label="User pages"
          />
        </>
      )}
    </section>
  );
}
