import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../api/client';
import type { Provider } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { PageHeader } from '../../components/Layout';
import { Empty, ErrorMessage, Loading, StatusBadge } from '../../components/Status';
import { useAction, useAsync, usePageTitle } from '../../lib/hooks';
import { ProviderForm } from './ProviderForm';
import { ProviderTestButton } from './ProviderTestButton';

export function ProvidersPage() {
  usePageTitle('Providers');
  const navigate = useNavigate();
  const providers = useAsync((s) => api.listProviders(s), []);
  const types = useAsync((s) => api.taskTypes(s), []);
  const [adding, setAdding] = useState(false);
  const toggle = useAction(async (p: Provider) => {
    const next = await api.updateProvider(p.id, { status: p.status === 'active' ? 'disabled' : 'active' });
    providers.setData((prev) => ({
      items: (prev?.items ?? []).map((x) => (x.id === p.id ? { ...x, ...next } : x)),
    }));
  });
  const remove = useAction(async (p: Provider) => {
    await api.deleteProvider(p.id);
    providers.reload({ silent: true });
  });
  const items = providers.data?.items ?? [];

  return (
    <section className="stack">
      <PageHeader title="Providers">
        {!adding && (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add provider
          </button>
        )}
      </PageHeader>
      {adding && (
        <section className="card stack" aria-labelledby="add-provider-h">
          <h2 id="add-provider-h">New provider</h2>
          {types.loading && !types.data ? (
            <Loading label="Loading task types…" />
          ) : (
            <ProviderForm
              taskTypes={types.data?.items ?? []}
              submitLabel="Create provider"
              onCancel={() => setAdding(false)}
              onSubmit={async (input) => {
                const created = await api.createProvider(input);
                navigate(`/admin/providers/${created.id}`);
              }}
            />
          )}
        </section>
      )}
      {toggle.error !== null && <ErrorMessage error={toggle.error} title="Status not changed" />}
      {remove.error !== null && <ErrorMessage error={remove.error} title="Not deleted" />}
      {providers.loading && !providers.data ? (
        <Loading label="Loading providers…" />
      ) : providers.error ? (
        <ErrorMessage error={providers.error} onRetry={() => providers.reload()} />
      ) : items.length === 0 ? (
        <Empty>No providers yet. Add one to start routing tasks.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" data-testid="providers-table">
            <caption className="visually-hidden">AI providers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Tier</th>
                <th scope="col">Status</th>
                <th scope="col">Models</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-provider={p.name}>
                  <th scope="row" data-label="Name">
                    <Link to={`/admin/providers/${p.id}`}>{p.name}</Link>
                  </th>
                  <td data-label="Kind">{p.kind}</td>
                  <td data-label="Tier">{p.tier}</td>
                  <td data-label="Status">
                    <StatusBadge status={p.status} />
                  </td>
                  <td data-label="Models">{p.models.length ? p.models.join(', ') : '—'}</td>
                  <td data-label="Actions" className="actions">
                    <Link
                      to={`/admin/providers/${p.id}`}
                      className="btn btn-sm btn-ghost"
                      aria-label={`Manage ${p.name}`}
                    >
                      Manage
                    </Link>
                    <ProviderTestButton providerId={p.id} providerName={p.name} />
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => toggle.run(p)}
                      disabled={toggle.pending}
                      aria-label={`${p.status === 'active' ? 'Disable' : 'Enable'} ${p.name}`}
                    >
                      {p.status === 'active' ? 'Disable' : 'Enable'}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      accessibleName={`Delete ${p.name}`}
                      question={`Delete ${p.name} and its accounts?`}
                      onConfirm={() => remove.run(p)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
