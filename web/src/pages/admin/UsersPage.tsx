import { useState } from 'react';
import { api } from '../../api/client';
import type { Role, User } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { AsyncTable } from '../../components/DataTable';
import { SearchForm } from '../../components/Form';
import { PageHeader } from '../../components/Layout';
import { ErrorMessage, StatusBadge } from '../../components/Status';
import { formatDateTime } from '../../lib/format';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';

const LIMIT = 20;

export function UsersPage() {
  usePageTitle('Users');
  const { user: me } = useAuth();
  const [q, setQ] = useState('');
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

  const search = (text: string) => {
    setQ(text);
    setPage(1);
  };

  return (
    <section className="stack">
      <PageHeader title="Users" />
      <SearchForm label="Search users" placeholder="Username or email" query={q} onSearch={search} />
      {update.error !== null && <ErrorMessage error={update.error} title="The user was not changed" />}
      <AsyncTable
        state={users}
        loadingLabel="Loading users…"
        empty={q ? `No users match “${q}”.` : 'No users.'}
        caption="Users"
        testId="users-table"
        rowKey={(u) => u.id}
        rowProps={(u) => ({ 'data-username': u.username })}
        pagination={{ page, limit: LIMIT, onPage: setPage, label: 'User pages' }}
        columns={[
          {
            header: 'Username',
            rowHeader: true,
            cell: (u) => (
              <>
                {u.username}
                {u.id === me?.id && <span className="muted small"> (you)</span>}
              </>
            ),
          },
          { header: 'Email', cell: (u) => u.email ?? '—' },
          {
            header: 'Role',
            cell: (u) => (
              <select
                className="input input-sm"
                aria-label={`Role for ${u.username}`}
                value={u.role}
                disabled={u.id === me?.id || busy === u.id}
                onChange={(e) => update.run(u, { role: e.target.value as Role })}
              >
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            ),
          },
          { header: 'Status', cell: (u) => <StatusBadge status={u.status} /> },
          { header: 'Last sign-in', cell: (u) => formatDateTime(u.lastLogin) },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (u) => {
              const suspended = u.status === 'suspended';
              return (
                u.id !== me?.id && (
                  <button
                    type="button"
                    className={`btn btn-sm${suspended ? '' : ' btn-danger'}`}
                    disabled={busy === u.id}
                    onClick={() => update.run(u, { status: suspended ? 'active' : 'suspended' })}
                    aria-label={`${suspended ? 'Reactivate' : 'Suspend'} ${u.username}`}
                  >
                    {busy === u.id ? 'Saving…' : suspended ? 'Reactivate' : 'Suspend'}
                  </button>
                )
              );
            },
          },
        ]}
      />
    </section>
  );
}
